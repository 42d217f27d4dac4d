import type { UpstreamFailure } from './upstream-errors';

/** RFC 9110 9.2.2; a request that carries a body is never replayed, whatever its method. */
export const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Which kinds of retry one request has used up: bits of RETRY_CONNECT and RETRY_RESET. */
export type RetriesSpent = number;
export const RETRY_CONNECT = 1;
export const RETRY_RESET = 2;

/** What the decision needs to know about one failed upstream attempt. */
export interface FailedAttempt {
  kind: UpstreamFailure;
  method: string;
  /** The request streams a body: undici consumed it, so it cannot be sent again. */
  withBody: boolean;
  /** The client left: nobody is waiting for another attempt. */
  clientGone: boolean;
  /** The pool has another instance that is not cooling down (asked only for a refused connect). */
  alternative: boolean;
  spent: RetriesSpent;
}

/** `another`: the next attempt goes to a different instance; `same`: to the instance that failed. */
export type RetryChoice = 'another' | 'same' | undefined;

/**
 * Whether a failed upstream attempt is tried again, and where.
 * - A refused connect reached nothing, so a bodiless request may try another instance, if the pool has one.
 * - A reset before any response head is retried once, on the same instance, for bodiless idempotent methods
 *   (RFC 9110 9.2.2): mostly a keep-alive socket the upstream closed just as it was reused.
 * - A body is never replayed; timeouts, protocol errors and aborts are never retried.
 * Each kind is spent at most once per request, independently: a reset retried on the same instance that died
 * meanwhile meets a refused connect, and that one may still move to another instance (nothing reached the dead
 * one). One shared flag turned exactly that into a 502 when an instance crashed under load
 * (test/faults/legacy-instance-dies-under-load). Hence at most three attempts in all.
 */
export function retryChoice(a: FailedAttempt): RetryChoice {
  if (a.withBody || a.clientGone) return undefined;
  if (a.kind === 'connect') return (a.spent & RETRY_CONNECT) === 0 && a.alternative ? 'another' : undefined;
  if (a.kind === 'reset') return (a.spent & RETRY_RESET) === 0 && IDEMPOTENT.has(a.method) ? 'same' : undefined;
  return undefined;
}

/** `spent` after a retry of this kind. */
export function spend(spent: RetriesSpent, kind: UpstreamFailure): RetriesSpent {
  return spent | (kind === 'connect' ? RETRY_CONNECT : kind === 'reset' ? RETRY_RESET : 0);
}
