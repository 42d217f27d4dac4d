import type { FastifyInstance } from 'fastify';
import type { GatewayConfig } from '../config';

/** Only the v2 API is offered to other origins; /api/v1 keeps whatever legacy answers (it is relayed as is). */
export const CORS_PREFIX = '/api/v2/';

export function isCorsPath(url: string): boolean {
  return url.startsWith(CORS_PREFIX) || url === '/api/v2' || url.startsWith('/api/v2?');
}

/**
 * Whether a router pattern (`/x`, `/x/:id`, `/x/*`) can match a path isCorsPath accepts: its fixed start, before
 * any parameter or wildcard, is /api/v2 or leads to it (case aside). Decided per route at boot.
 */
export function mayMatchCorsPath(pattern: string): boolean {
  const cut = pattern.search(/[:*]/);
  const fixed = (cut < 0 ? pattern : pattern.slice(0, cut)).toLowerCase();
  return fixed.startsWith('/api/v2') || CORS_PREFIX.startsWith(fixed);
}

/** Response fields a proxied /api/v2 answer never takes from its upstream: the gateway's CORS policy is the one. */
export const CORS_FIELDS = [
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-expose-headers',
  'access-control-max-age',
];

const ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
const ALLOW_HEADERS = 'Authorization, Content-Type, X-Request-Id';
const EXPOSE_HEADERS =
  'X-Request-Id, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy, Retry-After';
/** Browsers cap it anyway (Chromium: 2 h); 10 minutes lets a policy change reach clients quickly. */
const MAX_AGE_S = '600';

export function corsEnabled(config: GatewayConfig): boolean {
  return config.cors.anyOrigin || config.cors.origins.length > 0;
}

/**
 * CORS for /api/v2 (Fetch standard, "CORS protocol"), before auth, rate limits and forwarding, so it covers
 * Nest-answered and proxied v2 routes alike:
 * - A preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered here with 204 and never
 *   reaches a handler or upstream; an origin not on the list gets a 204 without any allow field, which the
 *   browser treats as a refusal.
 * - Other requests from a listed origin get Allow-Origin echoing it (with Allow-Credentials), or `*` when
 *   CORS_ORIGINS=* (the CORS check refuses credentials with `*`, so none are offered).
 * - `Vary: Origin` on every v2 answer: a cache must not serve one origin's answer to another (Fetch 3.2.5).
 * Reply fields set here also reach proxied answers: the forwarder writes the reply's own fields over upstream ones.
 */
export function installCors(fastify: FastifyInstance, config: GatewayConfig): void {
  if (!corsEnabled(config)) return;
  const anyOrigin = config.cors.anyOrigin;
  const allowed = new Set(config.cors.origins);
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!isCorsPath(request.url)) return done();
    const origin = request.headers.origin;
    const preflight =
      request.method === 'OPTIONS' &&
      origin !== undefined &&
      request.headers['access-control-request-method'] !== undefined;
    reply.header(
      'vary',
      preflight ? 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' : 'Origin',
    );
    const ok = origin !== undefined && (anyOrigin || allowed.has(origin));
    if (ok) {
      reply.header('access-control-allow-origin', anyOrigin ? '*' : origin);
      if (!anyOrigin) reply.header('access-control-allow-credentials', 'true');
    }
    if (!preflight) {
      if (ok) reply.header('access-control-expose-headers', EXPOSE_HEADERS);
      return done();
    }
    if (ok) {
      reply.header('access-control-allow-methods', ALLOW_METHODS);
      reply.header('access-control-allow-headers', ALLOW_HEADERS);
      reply.header('access-control-max-age', MAX_AGE_S);
    }
    reply.code(204).send();
  });
}
