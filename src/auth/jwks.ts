import { createPublicKey, type KeyObject } from 'node:crypto';

/**
 * Keys from JWT_JWKS_URL only (never from a `jku`/`x5u` URL a token names: that would let the token choose who
 * vouches for it). Cached by `kid`; an unknown `kid` triggers at most one refetch per 30 s (by default), so a flood of forged
 * kids cannot turn the gateway into a load generator against the identity provider (JWT_JWKS_MIN_REFRESH_S).
 */
export class JwksKeys {
  private keys = new Map<string, KeyObject>();
  private lastFetch = 0;
  private inflight?: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly minRefreshMs = 30_000,
  ) {}

  async get(kid: string | undefined): Promise<KeyObject | null> {
    if (kid && this.keys.has(kid)) return this.keys.get(kid)!;
    if (!kid && this.keys.size === 1) return [...this.keys.values()][0];
    if (Date.now() - this.lastFetch < this.minRefreshMs && this.keys.size > 0) return null;
    await (this.inflight ??= this.fetch().finally(() => (this.inflight = undefined)));
    if (kid) return this.keys.get(kid) ?? null;
    return this.keys.size === 1 ? [...this.keys.values()][0] : null;
  }

  private async fetch(): Promise<void> {
    this.lastFetch = Date.now();
    try {
      const res = await fetch(this.url, { signal: AbortSignal.timeout(3_000), redirect: 'error' });
      if (!res.ok) return;
      const body = (await res.json()) as { keys?: (Record<string, unknown> & { kid?: string; use?: string })[] };
      const next = new Map<string, KeyObject>();
      for (const jwk of body.keys ?? []) {
        if (jwk.use && jwk.use !== 'sig') continue;
        try {
          next.set(jwk.kid ?? '', createPublicKey({ key: jwk as never, format: 'jwk' }));
        } catch {
          // A key this runtime cannot import is skipped, not fatal: the others still verify.
        }
      }
      if (next.size) this.keys = next;
    } catch {
      // Unreachable JWKS: keep the keys we have; tokens signed by a new key fail until it answers.
    }
  }
}
