import proxyAddr from '@fastify/proxy-addr';
import type { IncomingMessage } from 'node:http';
import type { AuthService } from '../auth/auth.service';
import { authenticateCaller } from '../auth/authenticate-caller';
import { GatewayError } from '../errors/gateway-error';
import { compileTrust, plainAddress } from '../proxy/client-address';
import { callerKey, setRateLimitFields, verdictRefusal, type RateLimitEvents } from '../rate-limit/rate-limit-decision';
import type { RateLimiter } from '../rate-limit/rate-limiter';
import { isGatewayOwnPath, splitTarget, type RouteTable } from '../routing';
import { canonicalUrl, type PathCheck } from '../routing/path-guard';
import type { RouteRules } from './route-rules';
import type { UpgradeStep } from './upgrade-exchange';

/**
 * The upgrade's own stages. An upgrade never passes Fastify's router or hooks: each stage here applies the unit
 * the HTTP stage of the same name uses (the path check, authenticateCaller, the rate-limit decision), or a
 * WebSocket would be the way around them.
 */

/**
 * Why an upgrade is not a WebSocket opening handshake the gateway will relay, or undefined when it is one.
 * Node hands every `Connection: Upgrade` request to the 'upgrade' listener, and http-proxy destroys the socket
 * without a word for anything but `Upgrade: websocket`: `curl --http2 http://...` (an h2c upgrade, RFC 7540 3.2)
 * got a reset instead of an answer. A malformed handshake (RFC 6455 4.2.1: GET, version 13, a key that is 16 bytes
 * in base64) is refused here too, so legacy never sees a handshake it would have to judge.
 */
function badHandshake(req: IncomingMessage): { detail: string; extra?: string } | undefined {
  const upgrade = String(req.headers.upgrade ?? '')
    .trim()
    .toLowerCase();
  if (upgrade !== 'websocket')
    return { detail: 'Only WebSocket upgrades are supported; send the request without Upgrade.' };
  if (req.method !== 'GET') return { detail: 'A WebSocket handshake must be a GET (RFC 6455 4.1).' };
  // RFC 6455 4.2.2: a version the server does not speak is answered with the versions it does.
  if (req.headers['sec-websocket-version'] !== '13') {
    return { detail: 'Only WebSocket version 13 is supported.', extra: 'Sec-WebSocket-Version: 13\r\n' };
  }
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || !/^[A-Za-z0-9+/]{22}==$/.test(key)) {
    return { detail: 'Sec-WebSocket-Key must be 16 random bytes in base64 (RFC 6455 4.1).' };
  }
  return undefined;
}

export const upgradeHandshake: UpgradeStep = (ex) => {
  const bad = badHandshake(ex.req);
  if (!bad) return undefined;
  if (bad.extra) ex.lines += bad.extra;
  return new GatewayError('BAD_REQUEST', bad.detail);
};

/** The path normalised (Fastify's rewriteUrl for requests) and checked as the HTTP path guard checks it. */
export function upgradePathGuard(check: PathCheck): UpgradeStep {
  return (ex) => {
    ex.req.url = canonicalUrl(ex.req);
    const refusal = check(splitTarget(ex.req.url)[0], ex.req.method ?? 'GET');
    return refusal === undefined ? undefined : new GatewayError('BAD_PATH', refusal);
  };
}

/** The route the path picks, as the router's labels would name it; modules and the gateway's paths take none. */
export function upgradeRouteMatch(table: RouteTable, rules: RouteRules): UpgradeStep {
  return (ex) => {
    const [path] = splitTarget(ex.req.url ?? '/');
    const route = table.match(path, ex.req.method ?? 'GET');
    const own = isGatewayOwnPath(path);
    ex.routeId = own ? 'gateway' : route.id;
    ex.targetLabel = own ? 'gateway' : route.targetLabel;
    if (own || route.target.kind === 'module')
      return new GatewayError('NOT_FOUND', 'No WebSocket endpoint at this path.');
    ex.route = route;
    ex.rule = rules.of(route.id);
    return undefined;
  };
}

/** The auth stage's decision; the upgrade is judged as an unsafe method for the cross-site check. */
export function upgradeAuth(auth: AuthService): UpgradeStep {
  return (ex) =>
    ex.rule!.auth ? authenticateCaller(auth, ex.rule!, ex, ex.req.headers, 'POST', 'upgrade') : undefined;
}

/** The rate-limit stage's decision, per user or per client address (TRUST_PROXY-aware, as `request.ip`). */
export function upgradeRateLimit(limiter: RateLimiter, events: RateLimitEvents, trustProxy: string[]): UpgradeStep {
  const trust = compileTrust(trustProxy);
  return async (ex) => {
    const policy = ex.rule!.rateLimit;
    if (!policy) return undefined;
    const address = plainAddress(proxyAddr(ex.req, trust));
    const verdict = await limiter.consume(policy, callerKey(ex.figwayUser, address));
    setRateLimitFields(ex, verdict);
    return verdictRefusal(verdict, ex.routeId, events);
  };
}

/**
 * Where the upgrade goes: the route's target, or its legacy view while a rollback sends the route to legacy (as
 * route-sides.ts decides for a request). A caller admitted without credentials because of the rollback stays on
 * legacy even if the rollback ended meanwhile. Rollout weights and breakers are not applied to upgrades.
 */
export const upgradeRouteDecision: UpgradeStep = (ex) => {
  const route = ex.route!;
  const rule = ex.rule!;
  const back = route.target.kind !== 'legacy' && rule.legacy && (ex.figwayRolledBack || rule.rollback?.());
  ex.target = back ? rule.legacy : route;
  ex.targetLabel = ex.target!.targetLabel;
  return undefined;
};
