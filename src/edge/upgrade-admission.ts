import type { IncomingMessage } from 'node:http';
import { AuthFailure } from '../auth/auth-failure';
import type { AuthService } from '../auth/auth.service';
import { crossSiteRefused } from '../auth/csrf';
import { GatewayError } from '../errors/gateway-error';
import type { CompiledRoute } from '../routing';
import { addressKey } from '../rate-limit/client-key';
import type { RateLimitPolicy } from '../rate-limit/rate-limit-policy';
import type { RateLimiter } from '../rate-limit/rate-limiter';
import { plainAddress } from '../proxy/client-address';
import type { UpgradeAdmission, UpgradeIdentity } from '../proxy/websocket';

export interface AdmissionParts {
  auth?: AuthService;
  limiter?: RateLimiter;
  policyFor: (routeId: string) => RateLimitPolicy | undefined;
  onLimited?: (routeId: string) => void;
}

/**
 * The checks an HTTP request on the route would meet, for a WebSocket upgrade. Cookie-authenticated upgrades must
 * come from the same origin: a browser sends cookies with a cross-site upgrade as with any GET, and that is how
 * cross-site WebSocket hijacking works, so the upgrade is judged like an unsafe method (RFC 6455 10.2: servers
 * check Origin). A browser always sends Origin on an upgrade (RFC 6455 4.1), so one without it is not a browser's.
 */
export function upgradeAdmission(parts: AdmissionParts): UpgradeAdmission {
  return async (req: IncomingMessage, route: CompiledRoute) => {
    let identity: UpgradeIdentity | undefined;
    if (route.auth && parts.auth) {
      try {
        const who = await parts.auth.authenticate(req.headers);
        if (who.method === 'legacy_session' && crossSiteRefused('POST', req.headers)) {
          return {
            refusal: new GatewayError(
              'CSRF_REJECTED',
              'A cookie-authenticated upgrade must come from the same origin.',
            ),
          };
        }
        identity = { userId: who.userId, method: who.method };
      } catch (err) {
        if (!(route.auth === 'optional' && err instanceof AuthFailure)) return { refusal: err };
      }
    }
    const policy = parts.limiter ? parts.policyFor(route.id) : undefined;
    if (policy) {
      const key = identity ? `u:${identity.userId}` : `a:${addressKey(plainAddress(req.socket.remoteAddress))}`;
      const verdict = await parts.limiter!.consume(policy, key);
      if (verdict.kind === 'limited') {
        parts.onLimited?.(route.id);
        return {
          refusal: new GatewayError('RATE_LIMITED', 'Too many requests; slow down and retry after the given time.'),
        };
      }
      if (verdict.kind === 'unavailable') {
        return {
          refusal: new GatewayError('RATE_LIMIT_UNAVAILABLE', 'Rate limiting is unavailable; try again shortly.'),
        };
      }
    }
    return { identity };
  };
}
