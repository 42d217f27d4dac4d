import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import type { GatewayConfig } from '../config';
import { isHtml } from './csp-policy';
import { createNonce } from './nonce';
import { helmetOptions, NOT_FROM_HELMET, type SecurityHeaders } from './security-headers';
export { HELMET_SKIPPED } from './security-headers';

/**
 * Security headers for every reply Fastify sends (Nest modules, health, metrics, admin, problems, 404s, and
 * replies a hook sends on a proxied route such as 429 or 401). helmet sets its fields in onRequest; onSend adds
 * what helmet has no option for, and switches to the HTML policy with a fresh nonce when the body is HTML.
 * Proxied routes skip helmet: it writes on the raw response, which would merge into (and collapse repeated
 * Set-Cookie in) the head the forwarder writes itself; a hook's reply on such a route gets the set in onSend.
 * Must run before other onRequest hooks so that replies they send (CORS preflights) carry the headers too.
 */
export async function installSecurityHeaders(
  fastify: FastifyInstance,
  config: GatewayConfig,
  headers: SecurityHeaders,
): Promise<void> {
  await fastify.register(helmet, helmetOptions(config, headers));
  const { csp, fixed } = headers;
  const all = Object.entries(fixed);
  const extra = all.filter(([name]) => NOT_FROM_HELMET.includes(name));
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const skipped = request.routeOptions.config.helmet?.skipRoute === true;
    for (const [name, value] of skipped ? all : extra) reply.header(name, value);
    if (csp.headerName) {
      if (isHtml(reply.getHeader('content-type'))) reply.header(csp.headerName, csp.htmlPolicy(createNonce()));
      else if (skipped) reply.header(csp.headerName, csp.apiPolicy);
    }
    done(null, payload);
  });
}
