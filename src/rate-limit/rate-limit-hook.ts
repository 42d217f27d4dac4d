import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { GatewayError } from '../errors/gateway-error';
import { toProblem } from '../errors/problem';
import { sendProblem } from '../errors/problem-writer';
import { tracedCallback } from '../telemetry/request-trace';
import { addressKey } from './client-key';
import type { RateLimitPolicy } from './rate-limit-policy';
import type { RateLimiter, Verdict } from './rate-limiter';

export interface RateLimitEvents {
  onLimited?(routeId: string): void;
  onUnavailable?(): void;
}

/** Who is counted: the authenticated user when there is one, else the client address (TRUST_PROXY-aware). */
function identity(request: FastifyRequest): string {
  const user = request.figwayUser;
  return user ? `u:${user.userId}` : `a:${addressKey(request.ip)}`;
}

/** `600;w=60` per policy, built once: the policy objects live as long as the route table. */
const policyFields = new WeakMap<RateLimitPolicy, string>();

function policyField(p: RateLimitPolicy): string {
  let f = policyFields.get(p);
  if (f === undefined) {
    f = `${p.points};w=${Math.ceil(p.durationMs / 1000)}`;
    policyFields.set(p, f);
  }
  return f;
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
  reply.header('ratelimit-policy', policyField(v.policy));
  if (v.kind === 'limited') reply.header('retry-after', Math.max(1, resetS));
}

function refuse(request: FastifyRequest, reply: FastifyReply, err: GatewayError) {
  const problem = toProblem(err, request.id, request.url.split('?')[0]);
  return sendProblem(reply, problem);
}

/**
 * Runs in onRequest, before any body is read or any upstream is called: a refused request costs the upstream
 * nothing. The policy was attached to the route at registration (`config.rateLimit`). Callback-style, since the
 * limiter decides most requests in memory (no Redis, or synced mode): those pass with no promise at all.
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
  ): void => {
    if (verdict.kind === 'unavailable') {
      events.onUnavailable?.();
      refuse(
        request,
        reply,
        new GatewayError('RATE_LIMIT_UNAVAILABLE', 'Rate limiting is unavailable; try again shortly.'),
      );
      return;
    }
    setHeaders(reply, verdict);
    if (verdict.kind === 'limited') {
      events.onLimited?.(request.routeOptions.config.routeId ?? 'unknown');
      refuse(
        request,
        reply,
        new GatewayError('RATE_LIMITED', 'Too many requests; slow down and retry after the given time.'),
      );
      return;
    }
    done();
  };
  fastify.addHook(
    'onRequest',
    tracedCallback((request, reply, done) => {
      const policy = request.routeOptions.config.rateLimit;
      if (!policy) return done();
      const verdict = limiter.consume(policy, identity(request));
      if (verdict instanceof Promise) verdict.then((v) => decide(request, reply, v, done), done);
      else decide(request, reply, verdict, done);
    }),
  );
}
