import type { FastifyInstance } from 'fastify';
import { toProblem } from '../errors/problem';
import { sendProblem } from '../errors/problem-writer';
import { tracedCallback } from '../telemetry/request-trace';
import { authenticateCaller } from './authenticate-caller';
import type { AuthService } from './auth.service';

/**
 * Authentication for routes that ask for it (`auth:` in routes.yaml), in onRequest: before the rate limiter (so
 * limits count per user) and before any byte goes upstream. The route's mode was attached at registration; the
 * decision is authenticateCaller's, the one WebSocket upgrades meet too. Callback-style, so a route without `auth:`
 * passes with no promise at all.
 */
export function installAuthHook(fastify: FastifyInstance, auth: AuthService): void {
  fastify.addHook(
    'onRequest',
    tracedCallback((request, reply, done) => {
      const cfg = request.routeOptions.config;
      if (!cfg.auth) return done();
      authenticateCaller(auth, cfg, request, request.headers, request.method, 'change').then((refusal) => {
        if (refusal === undefined) return done();
        sendProblem(reply, toProblem(refusal, request.id, request.url.split('?')[0]));
      }, done);
    }),
  );
}
