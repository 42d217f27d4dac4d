import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../errors/gateway-error';
import { PROBLEM_CONTENT_TYPE, toProblem } from '../errors/problem';
import { traced } from '../telemetry/request-trace';
import { addressKey } from './client-key';
import type { RateLimitPolicy } from './rate-limit-policy';
import type { RateLimiter, Verdict } from './rate-limiter';

export interface RateLimitEvents {
  onLimited?(routeId: string): void;
  onUnavailable?(): void;
}

/** Who is counted: the authenticated user when there is one, else the client address (TRUST_PROXY-aware). */
function identity(request: FastifyRequest): string {
  const user = (request as FastifyRequest & { figwayUser?: { userId: string } }).figwayUser;
  return user ? `u:${user.userId}` : `a:${addressKey(request.ip)}`;
}

/**
 * RateLimit-Limit/-Remaining/-Reset and RateLimit-Policy as in draft-ietf-httpapi-ratelimit-headers-07
 * (the separate-fields form that DESIGN.md's `RateLimit-*` names); Reset is delta-seconds.
 */
function setHeaders(reply: FastifyReply, v: Extract<Verdict, { limit: number }>): void {
  const resetS = Math.max(0, Math.ceil(v.resetMs / 1000));
  reply.header('ratelimit-limit', v.limit);
  reply.header('ratelimit-remaining', Math.max(0, v.remaining));
  reply.header('ratelimit-reset', resetS);
  reply.header('ratelimit-policy', `${v.limit};w=${Math.ceil(v.policy.durationMs / 1000)}`);
  if (v.kind === 'limited') reply.header('retry-after', Math.max(1, resetS));
}

function refuse(request: FastifyRequest, reply: FastifyReply, err: GatewayError) {
  const problem = toProblem(err, request.id, request.url.split('?')[0]);
  return reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
}

/**
 * Runs in onRequest, before any body is read or any upstream is called: a refused request costs the upstream
 * nothing. The policy was attached to the route at registration (`config.rateLimit`).
 */
export function installRateLimitHook(fastify: FastifyInstance, limiter: RateLimiter, events: RateLimitEvents = {}): void {
  fastify.addHook(
    'onRequest',
    traced(async (request: FastifyRequest, reply: FastifyReply) => {
      const cfg = request.routeOptions.config as { rateLimit?: RateLimitPolicy; routeId?: string };
      const policy = cfg.rateLimit;
      if (!policy) return;
      const verdict = await limiter.consume(policy, identity(request));
      if (verdict.kind === 'unavailable') {
        events.onUnavailable?.();
        return refuse(request, reply, new GatewayError('RATE_LIMIT_UNAVAILABLE', 'Rate limiting is unavailable; try again shortly.'));
      }
      setHeaders(reply, verdict);
      if (verdict.kind === 'limited') {
        events.onLimited?.(cfg.routeId ?? 'unknown');
        return refuse(request, reply, new GatewayError('RATE_LIMITED', 'Too many requests; slow down and retry after the given time.'));
      }
    }),
  );
}
