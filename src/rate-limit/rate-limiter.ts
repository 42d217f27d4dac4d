import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { KeyValueStore } from '../store/key-value-store';
import type { RateLimitPolicy } from './rate-limit-policy';
import { redisSync, type SyncRequest, type SyncResult } from './redis-sync';
import { WindowCounts, type SyncItem } from './window-counts';

export type Verdict =
  | { kind: 'allowed' | 'limited'; limit: number; remaining: number; resetMs: number; policy: RateLimitPolicy }
  | { kind: 'unavailable'; policy: RateLimitPolicy };

/** How often ended windows are forgotten. */
const SWEEP_MS = 1_000;

/** rate-limiter-flexible's windows are whole seconds; the synced and memory modes keep the same windows. */
function windowMs(p: RateLimitPolicy): number {
  return Math.max(1, Math.ceil(p.durationMs / 1000)) * 1000;
}

/** The Redis key of a window: rate-limiter-flexible's `keyPrefix:key`, so exact and synced instances share it. */
function redisKey(policyId: string, key: string): string {
  return `rl:${policyId}:${key}`;
}

/**
 * Counters live in Redis when there is one, so every instance sees the same window. Three ways to count:
 * - no Redis: per-instance windows in memory (WindowCounts), exact for the one instance;
 * - Redis, `syncMs` = 0 (exact): rate-limiter-flexible, one round trip per request;
 * - Redis, `syncMs` > 0 (synced, the default): counted in memory and pushed to Redis in one batch every `syncMs`,
 *   each instance deciding on Redis's count at its last sync plus its own admissions since (see WindowCounts for
 *   the over-admission bound). No round trip per request.
 * With Redis down (not connected, or the last sync failed), fail-open counts in per-instance memory windows
 * (rate-limiter-flexible's insurance limiter in exact mode, fresh WindowCounts in synced mode); fail-closed refuses.
 */
export class RateLimiter {
  private readonly exact = new Map<string, RateLimiterAbstract>();
  /** Synced mode: the windows that go to Redis. Memory mode: the only ones. */
  private readonly counts = new Map<string, WindowCounts>();
  /** Synced mode, fail-open: the windows used while Redis is unavailable. */
  private readonly fallback = new Map<string, WindowCounts>();
  private readonly redis?: Redis | Cluster;
  private readonly sync?: (batch: SyncRequest[]) => Promise<SyncResult[]>;
  private readonly timer?: NodeJS.Timeout;
  private syncing = false;
  /** False from a failed sync until one succeeds: the counts may not be reaching the other instances. */
  private syncHealthy = true;
  private lastSweep = 0;

  constructor(
    store: KeyValueStore,
    private readonly failOpen: boolean,
    syncMs = 0,
  ) {
    this.redis = store.redis;
    if (this.redis && syncMs > 0) {
      this.sync = redisSync(this.redis);
      this.timer = setInterval(() => void this.syncNow(), syncMs).unref();
    } else if (!this.redis) {
      this.timer = setInterval(() => this.sweep(this.counts, Date.now()), SWEEP_MS).unref();
    }
  }

  get mode(): 'memory' | 'exact' | 'synced' {
    return !this.redis ? 'memory' : this.sync ? 'synced' : 'exact';
  }

  /** A verdict at once when it is decided in memory (no Redis, synced mode); a promise in exact mode. */
  consume(policy: RateLimitPolicy, key: string): Verdict | Promise<Verdict> {
    if (!this.redis) return this.local(this.counts, policy, key);
    if (!this.sync) return this.consumeExact(policy, key);
    if (this.syncHealthy && this.redis.status === 'ready') return this.local(this.counts, policy, key);
    return this.failOpen ? this.local(this.fallback, policy, key) : { kind: 'unavailable', policy };
  }

  close(): void {
    clearInterval(this.timer);
  }

  private local(all: Map<string, WindowCounts>, policy: RateLimitPolicy, key: string): Verdict {
    let counts = all.get(policy.id);
    if (counts === undefined) {
      counts = new WindowCounts(policy.points, windowMs(policy));
      all.set(policy.id, counts);
    }
    const t = counts.take(key, Date.now());
    return {
      kind: t.admitted ? 'allowed' : 'limited',
      limit: policy.points,
      remaining: t.remaining,
      resetMs: t.resetMs,
      policy,
    };
  }

  /** One sync at a time: a slow one (a stalled Redis waits out the command timeout) delays the next. */
  private async syncNow(): Promise<void> {
    if (this.syncing) return;
    this.syncing = true;
    try {
      const now = Date.now();
      if (now - this.lastSweep >= SWEEP_MS) {
        this.lastSweep = now;
        this.sweep(this.counts, now);
        this.sweep(this.fallback, now);
      }
      const batch: { counts: WindowCounts; item: SyncItem; key: string }[] = [];
      for (const [id, counts] of this.counts) {
        for (const item of counts.drain()) batch.push({ counts, item, key: redisKey(id, item.window.key) });
      }
      if (batch.length === 0) {
        // Nothing to count: after a failure, a PING says when Redis takes commands again.
        if (!this.syncHealthy) this.syncHealthy = (await this.redis!.ping().catch(() => '')) === 'PONG';
        return;
      }
      const results = await this.sync!(
        batch.map((b) => ({ key: b.key, count: b.item.count, windowMs: b.counts.windowMs })),
      ).catch((err: Error) => batch.map(() => err));
      const at = Date.now();
      let healthy = true;
      results.forEach((r, i) => {
        const { counts, item } = batch[i];
        if (r instanceof Error) {
          healthy = false;
          counts.retry(item);
        } else counts.settle(item, r[0], r[1], at);
      });
      this.syncHealthy = healthy;
    } finally {
      this.syncing = false;
    }
  }

  private sweep(all: Map<string, WindowCounts>, now: number): void {
    for (const counts of all.values()) counts.sweep(now);
  }

  private exactFor(p: RateLimitPolicy): RateLimiterAbstract {
    let l = this.exact.get(p.id);
    if (l) return l;
    const duration = Math.max(1, Math.ceil(p.durationMs / 1000));
    const keyPrefix = `rl:${p.id}`;
    l = new RateLimiterRedis({
      storeClient: this.redis,
      points: p.points,
      duration,
      keyPrefix,
      rejectIfRedisNotReady: true,
      insuranceLimiter: this.failOpen ? new RateLimiterMemory({ points: p.points, duration, keyPrefix }) : undefined,
    });
    this.exact.set(p.id, l);
    return l;
  }

  private async consumeExact(policy: RateLimitPolicy, key: string): Promise<Verdict> {
    const limiter = this.exactFor(policy);
    try {
      const res = await limiter.consume(key, 1);
      return {
        kind: 'allowed',
        limit: policy.points,
        remaining: res.remainingPoints,
        resetMs: res.msBeforeNext,
        policy,
      };
    } catch (rej) {
      if (rej instanceof RateLimiterRes) {
        return { kind: 'limited', limit: policy.points, remaining: 0, resetMs: rej.msBeforeNext, policy };
      }
      return { kind: 'unavailable', policy };
    }
  }
}
