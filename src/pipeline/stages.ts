/**
 * The request pipeline: every stage a request meets, in the order Fastify runs them, installed from this list.
 *
 *  stage              kind           why here
 *  -----------------  -------------  -------------------------------------------------------------------------
 *  pipeline guard     onRequest      First: requests pipelined behind a closing answer go no further (RFC 9112 9.6).
 *  security headers   onRequest/onSend  helmet's hooks before any hook that may answer (preflight, 429, 401), so
 *                                    every answer carries them.
 *  edge guard         onRequest      Request id, access-log mark, shutdown close, edge refusals, load shedding;
 *                                    last, the request trace, so what follows runs in the request's span.
 *  path guard         onRequest      Before auth and limits: a path another route would read differently is refused
 *                                    before any route's policy is applied to it.
 *  CORS               onRequest      Before auth and limits: a preflight carries no credentials and is answered by
 *                                    the gateway (Fetch, CORS protocol).
 *  extension methods  (boot)         Legacy may speak WebDAV and others; QUERY's body is not Fastify's to judge.
 *  route labels       onRoute        Each route's id, limit, auth mode and rollback probe, fixed at registration.
 *  auth               onRequest      Before the limiter, so limits count per user; before any byte goes upstream.
 *  rate limit         onRequest      Before any body is read or any upstream is called.
 *  response metrics   onResponse     What Fastify and Nest answer; the forwarder counts what it relays.
 *  route decision     onRoute        A v2 module route that routes.yaml, a rollback or a split sends to legacy is
 *                                    forwarded from its own onRequest hook, before Nest parses its body.
 *  body limits        onRoute        Modules that take small bodies refuse big ones before parsing them.
 *  CSP reports        route          The gateway's own /csp-report.
 *  v2 modules         Nest init      Nest registers its routes; the onRoute stages above label and steer them.
 *  forward            routes         routes.yaml's proxied routes and the legacy catch-all (src/proxy).
 *  upgrades           'upgrade'      WebSocket upgrades, through UPGRADE_STAGES below.
 *
 * An upgrade never passes Fastify's router or hooks, so it has its own list, built from the same units as the
 * HTTP stages of the same names (the path check, authenticateCaller, the rate-limit decision, the identity
 * fields of request-headers.ts): an upgrade cannot drift from a request.
 *
 * Each stage compiles what it needs at boot from the parts it names; per request it runs only its hook.
 */
import type { FastifyInstance } from 'fastify';
import { installAuthHook } from '../auth/auth-hook';
import { installPipelineGuard } from '../edge/closing-connections';
import { attachWebSocketProxy } from '../proxy/websocket';
import { redirectModuleRoutes, registerProxyRoutes } from '../proxy/proxy-routes';
import { installRateLimitHook, type RateLimitEvents } from '../rate-limit/rate-limit-hook';
import { installPathGuard } from '../routing/path-guard';
import { installCors } from '../security/cors';
import { registerCspReportRoute } from '../security/csp-report';
import { securityHeadLines } from '../security/security-headers';
import { installSecurityHeaders } from '../security/security-hooks';
import type { GatewayMetrics } from '../telemetry/metrics';
import { applyModuleBodyLimits } from './body-limits';
import { installEdgeGuard } from './edge-guard';
import { addExtensionMethods } from './extension-methods';
import type { PipelineParts, Stage } from './parts';
import { installResponseMetrics } from './response-metrics';
import { installRouteLabels } from './route-rules';
import type { UpgradeStep } from './upgrade-exchange';
import {
  upgradeAuth,
  upgradeHandshake,
  upgradePathGuard,
  upgradeRateLimit,
  upgradeRouteDecision,
  upgradeRouteMatch,
} from './upgrade-stages';

const limitEvents = (metrics: GatewayMetrics): RateLimitEvents => ({
  onLimited: (route) => metrics.rateLimited.inc({ route }),
  onUnavailable: () => metrics.storeErrors.inc({ user: 'rate_limit' }),
});

export const HTTP_STAGES: readonly Stage[] = [
  { name: 'pipeline guard', install: (f, p) => installPipelineGuard(f, p.config.edge.maxHeaderFields) },
  { name: 'security headers', install: (f, p) => installSecurityHeaders(f, p.config, p.securityHeaders) },
  { name: 'edge guard', install: installEdgeGuard },
  { name: 'path guard', install: (f, p) => installPathGuard(f, p.pathCheck) },
  { name: 'CORS', install: (f, p) => installCors(f, p.config) },
  { name: 'extension methods', install: addExtensionMethods },
  { name: 'route labels', install: installRouteLabels },
  { name: 'auth', install: (f, p) => p.auth && installAuthHook(f, p.auth) },
  { name: 'rate limit', install: (f, p) => p.limiter && installRateLimitHook(f, p.limiter, limitEvents(p.metrics)) },
  { name: 'response metrics', install: installResponseMetrics },
  { name: 'route decision', install: (f, p) => redirectModuleRoutes(f, p.wiring) },
  { name: 'body limits', install: applyModuleBodyLimits },
  {
    name: 'CSP reports',
    install: (f, p) =>
      registerCspReportRoute(f, f.log, {
        onViolation: (directive) => p.metrics.cspReports.inc({ directive }),
        onLimited: () => p.metrics.rateLimited.inc({ route: 'csp-report' }),
      }),
  },
  { name: 'v2 modules', install: (_f, p) => p.startModules() },
  { name: 'forward', install: (f, p) => registerProxyRoutes(f, p.wiring) },
  {
    name: 'upgrades',
    install: (f, p) =>
      attachWebSocketProxy(p.server, p.wiring, f.log, {
        stages: compileUpgradeStages(p),
        fixedLines: securityHeadLines(p.securityHeaders),
        onDone: (req, o) => {
          p.metrics.observe(o.routeId, o.target, req.method, o.status, o.seconds, o.firstByteSeconds);
          p.accessLog?.writeUpgrade(req, o);
        },
      }),
  },
];

/** An upgrade stage: compiled at boot from its parts, or undefined when off (no `auth:` routes, no limits). */
interface UpgradeStage {
  readonly name: string;
  compile(parts: PipelineParts): UpgradeStep | undefined;
}

export const UPGRADE_STAGES: readonly UpgradeStage[] = [
  // RFC 6455 4.2.1: anything but a well-formed WebSocket handshake is refused before it is routed.
  { name: 'handshake', compile: () => upgradeHandshake },
  { name: 'path guard', compile: (p) => upgradePathGuard(p.pathCheck) },
  // The route labels' work for an upgrade: its route and rules; modules and the gateway's paths take none.
  { name: 'route match', compile: (p) => upgradeRouteMatch(p.table, p.rules) },
  { name: 'auth', compile: (p) => p.auth && upgradeAuth(p.auth) },
  {
    name: 'rate limit',
    compile: (p) => p.limiter && upgradeRateLimit(p.limiter, limitEvents(p.metrics), p.config.trustProxy),
  },
  // Last: a rollback sends the upgrade to legacy; the relay then sends the identity fields (request-headers.ts).
  { name: 'route decision', compile: () => upgradeRouteDecision },
];

export function compileUpgradeStages(parts: PipelineParts): UpgradeStep[] {
  return UPGRADE_STAGES.flatMap((s) => s.compile(parts) ?? []);
}

/** Installs the HTTP stages in their order; each stage's boot work is done before the next is added. */
export async function installPipeline(fastify: FastifyInstance, parts: PipelineParts): Promise<void> {
  for (const stage of HTTP_STAGES) await stage.install(fastify, parts);
}
