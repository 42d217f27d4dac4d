import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { traced } from '../telemetry/request-trace';
import { GatewayError } from '../errors/gateway-error';
import { toProblem } from '../errors/problem';
import { sendProblem } from '../errors/problem-writer';
import { AuthFailure } from './auth-failure';
import type { AuthService } from './auth.service';
import { crossSiteRefused } from './csrf';

/**
 * Authentication for proxied routes that ask for it (`auth:` in routes.yaml), in onRequest: before the rate limiter
 * (so limits count per user) and before any byte goes upstream. The route's mode was attached at registration.
 *
 * A rollback sends a new-side route to legacy, which then authenticates as it did before the migration (its own
 * session; the rollback runbook must not depend on gateway credentials): the route is `auth: optional` meanwhile,
 * valid credentials still naming the user upstream. Routes that target legacy keep their `auth:`, which guards
 * legacy itself.
 */
export function installAuthHook(fastify: FastifyInstance, auth: AuthService): void {
  fastify.addHook(
    'onRequest',
    traced(async (request: FastifyRequest, reply: FastifyReply) => {
      const cfg = request.routeOptions.config;
      if (!cfg.auth) return;
      let mode = cfg.auth;
      if (cfg.rolledBack?.()) {
        request.figwayRolledBack = true;
        mode = 'optional';
      }
      let refusal: unknown;
      try {
        const identity = await auth.authenticate(request.headers);
        if (identity.method === 'legacy_session' && crossSiteRefused(request.method, request.headers)) {
          refusal = new GatewayError('CSRF_REJECTED', 'A cookie-authenticated change must come from the same origin.');
        } else {
          request.figwayUser = identity;
        }
      } catch (err) {
        if (mode === 'optional' && err instanceof AuthFailure) return;
        refusal = err;
      }
      if (!refusal) return;
      const problem = toProblem(refusal, request.id, request.url.split('?')[0]);
      return sendProblem(reply, problem);
    }),
  );
}
