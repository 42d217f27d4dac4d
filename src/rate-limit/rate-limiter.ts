import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { KeyValueStore } from '../store/key-value-store';
import type { RateLimitPolicy } from './rate-limit-policy';

export type Verdict =
  | { kind: 'allowed' | 'limited'; limit: number; remaining: number; resetMs: number; policy: RateLimitPolicy }
  | { kind: 'unavailable'; policy: RateLimitPolicy };

/**
 * Counters live in Redis when there is one, so every instance sees the same window. With Redis down,
 * fail-open keeps a per-instance memory window (rate-limiter-flexible's insurance limiter); fail-closed refuses.
 */
export class RateLimiter {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  constructor(
    private readonly store: KeyValueStore,
    private readonly failOpen: boolean,
  ) {}

  private limiterFor(p: RateLimitPolicy): RateLimiterAbstract {
    let l = this.limiters.get(p.id);
    if (l) return l;
    const duration = Math.max(1, Math.ceil(p.durationMs / 1000));
    const keyPrefix = `rl:${p.id}`;
    if (!this.store.redis) {
      l = new RateLimiterMemory({ points: p.points, duration, keyPrefix });
    } else {
      l = new RateLimiterRedis({
        storeClient: this.store.redis,
        points: p.points,
        duration,
        keyPrefix,
        rejectIfRedisNotReady: true,
        insuranceLimiter: this.failOpen ? new RateLimiterMemory({ points: p.points, duration, keyPrefix }) : undefined,
      });
    }
    this.limiters.set(p.id, l);
    return l;
  }

  async consume(policy: RateLimitPolicy, key: string): Promise<Verdict> {
    const limiter = this.limiterFor(policy);
    try {
      const res = await limiter.consume(key, 1);
      return { kind: 'allowed', limit: policy.points, remaining: res.remainingPoints, resetMs: res.msBeforeNext, policy };
    } catch (rej) {
      if (rej instanceof RateLimiterRes) {
        return { kind: 'limited', limit: policy.points, remaining: 0, resetMs: rej.msBeforeNext, policy };
      }
      return { kind: 'unavailable', policy };
    }
  }
}
