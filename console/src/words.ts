/** An RFC 9457 problem as the admin API answers it (src/errors/problem.ts). */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  code?: string;
  detail?: string;
}

/** What each refusal means to the operator, in words; the gateway's own detail is kept where it says more. */
const SAYINGS: Record<string, (detail: string) => string> = {
  FLAG_FORCED_BY_ENV: (d) =>
    d.includes('environment') ? d : 'This flag is set in the environment; only a restart without it undoes it.',
  ROLLOUT_CONFLICT: (d) => `Not possible now: ${d}`,
  VALIDATION_FAILED: (d) => `The gateway refused these values: ${d}`,
  NOT_FOUND: (d) => `Not found: ${d}`,
  UNAUTHENTICATED: () => 'Your console session has ended. Reload the page and sign in again.',
  CSRF_REJECTED: () => 'The gateway refused the change as cross-site. Reload the console and try again.',
  FLAG_STORE_UNAVAILABLE: () => 'Nothing changed: the store (Redis) did not take the change. Try again shortly.',
  ROLLOUT_STORE_UNAVAILABLE: () => 'Nothing changed: the store (Redis) did not answer. Try again shortly.',
};

export function problemWords(p: Problem): string {
  const detail = (p.detail ?? p.title ?? '').trim();
  const say = p.code ? SAYINGS[p.code] : undefined;
  if (say) return say(detail);
  const head = p.title ?? 'The gateway refused the change';
  return `${head}${p.status ? ` (${p.status})` : ''}${detail && detail !== head ? `: ${detail}` : '.'}`;
}
