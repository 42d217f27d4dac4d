import { GatewayError } from '../errors/gateway-error';
import { addressKey } from './client-key';
import type { RateLimitPolicy } from './rate-limit-policy';
import type { Verdict } from './rate-limiter';

/** What the rate-limit stage reports; the same events for requests and WebSocket upgrades. */
export interface RateLimitEvents {
  onLimited?(routeId: string): void;
  onUnavailable?(): void;
}

/**
 * Who is counted: the authenticated user when there is one, else the client address (TRUST_PROXY-aware: the
 * caller passes the forwarded client when the peer is a trusted proxy).
 */
export function callerKey(user: { userId: string } | undefined, address: string): string {
  return user ? `u:${user.userId}` : `a:${addressKey(address)}`;
}

/** The refusal a verdict means, or undefined when the caller may go on; counts it as it decides. */
export function verdictRefusal(verdict: Verdict, routeId: string, events: RateLimitEvents): GatewayError | undefined {
  if (verdict.kind === 'unavailable') {
    events.onUnavailable?.();
    return new GatewayError('RATE_LIMIT_UNAVAILABLE', 'Rate limiting is unavailable; try again shortly.');
  }
  if (verdict.kind === 'limited') {
    events.onLimited?.(routeId);
    return new GatewayError('RATE_LIMITED', 'Too many requests; slow down and retry after the given time.');
  }
  return undefined;
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

/** Anything fields can be set on: a Fastify reply, or the head lines of a refused upgrade. */
export interface FieldTarget {
  header(name: string, value: string | number): unknown;
}

/**
 * RateLimit-Limit/-Remaining/-Reset and RateLimit-Policy as in draft-ietf-httpapi-ratelimit-headers-07
 * (the separate-fields form that DESIGN.md's `RateLimit-*` names); Reset is delta-seconds.
 */
export function setRateLimitFields(to: FieldTarget, verdict: Verdict): void {
  if (verdict.kind === 'unavailable') return;
  const resetS = Math.max(0, Math.ceil(verdict.resetMs / 1000));
  to.header('ratelimit-limit', verdict.limit);
  to.header('ratelimit-remaining', Math.max(0, verdict.remaining));
  to.header('ratelimit-reset', resetS);
  to.header('ratelimit-policy', policyField(verdict.policy));
  if (verdict.kind === 'limited') to.header('retry-after', Math.max(1, resetS));
}
