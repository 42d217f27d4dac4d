import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { toProblem } from '../errors/problem';
import { sendProblem } from '../errors/problem-writer';
import { tracedCallback } from '../telemetry/request-trace';
import { callerKey, setRateLimitFields, verdictRefusal, type RateLimitEvents } from './rate-limit-decision';
import type { RateLimiter, Verdict } from './rate-limiter';

export type { RateLimitEvents } from './rate-limit-decision';

/**
 * Runs in onRequest, before any body is read or any upstream is called: a refused request costs the upstream
 * nothing. The policy was attached to the route at registration (`config.rateLimit`). Callback-style, since the
 * limiter decides most requests in memory (no Redis, or synced mode): those pass with no promise at all. The
 * decision (rate-limit-decision.ts) is the one WebSocket upgrades meet too.
 */
export function installRateLimitHook(
  fastify: FastifyInstance,
  limiter: RateLimiter,
  events: RateLimitEvents = {},
): void {
  const decide = (
    request: FastifyRequest,
    reply: FastifyReply,
    verdict: Verdict,
    done: HookHandlerDoneFunction,
    routeId = 'unknown',
  ): void => {
    setRateLimitFields(reply, verdict);
    const refusal = verdictRefusal(verdict, routeId, events);
    if (refusal === undefined) return done();
    sendProblem(reply, toProblem(refusal, request.id, request.url.split('?')[0]));
  };
  fastify.addHook(
    'onRequest',
    tracedCallback((request, reply, done) => {
      // Fastify builds a fresh routeOptions object on every read: once.
      const { rateLimit: policy, routeId } = request.routeOptions.config;
      if (!policy) return done();
      const verdict = limiter.consume(policy, callerKey(request.figwayUser, request.ip));
      if (verdict instanceof Promise) verdict.then((v) => decide(request, reply, v, done, routeId), done);
      else decide(request, reply, verdict, done, routeId);
    }),
  );
}
