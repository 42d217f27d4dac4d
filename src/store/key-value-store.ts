import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';

/**
 * What the gateway keeps outside a request: cache entries, tokens, sessions. Every write has a TTL: nothing the
 * gateway stores lives forever. Failures throw StoreUnavailableError so callers can degrade on purpose.
 */
export interface KeyValueStore {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<Buffer | null>;
  set(key: string, value: Buffer, ttlMs: number): Promise<void>;
  /** Writes only if the key is absent; true when this call wrote it (one winner across instances). */
  setIfAbsent(key: string, value: Buffer, ttlMs: number): Promise<boolean>;
  del(key: string): Promise<boolean>;
  /** Deletes every key starting with `prefix`; returns how many went. */
  deleteByPrefix(prefix: string): Promise<number>;
  /**
   * Adds each value to the field of the hash at `key`, creating it if absent, and sets the hash's TTL; one round
   * trip. The store sums what every instance adds (the rollout evidence, src/rollout). Values must be safe integers:
   * anything else (1.5, NaN, Infinity, 2^53) is a caller's bug and rejects with a RangeError before anything is
   * written; it is not rounded, so a fraction is never silently lost.
   */
  addCounts(key: string, counts: Record<string, number>, ttlMs: number): Promise<void>;
  /**
   * The hashes at `keys`, in order (an empty object for a missing key), values as numbers; one round trip, none for
   * no keys. Keys read together must share a Redis Cluster hash tag (`...{route}...`) so one node serves them; on a
   * cluster, keys of different slots are refused as a whole (StoreUnavailableError).
   */
  readCounts(keys: string[]): Promise<Record<string, number>[]>;
  /** Writes `next` only if the key holds exactly `expected` (null: absent); true when this call wrote it. */
  swap(key: string, expected: Buffer | null, next: Buffer, ttlMs: number): Promise<boolean>;
  /**
   * Takes the lease at `key` for `owner` when it is free, or extends it when `owner` holds it; true when `owner`
   * holds it afterwards, for `ttlMs` from now.
   */
  holdLease(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Frees the lease only if `owner` holds it. */
  releaseLease(key: string, owner: string): Promise<void>;
  ping(): Promise<boolean>;
  /** Resolves true once the store takes commands (at once in memory), false if it does not within `timeoutMs`. */
  connected(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
  /** The raw client for libraries that speak Redis themselves (rate-limiter-flexible); undefined in memory mode. */
  readonly redis?: Redis | Cluster;
}

/** The check addCounts makes before writing anything: every count a safe integer (see addCounts). */
export function checkCounts(counts: Record<string, number>): void {
  for (const [field, n] of Object.entries(counts))
    if (!Number.isSafeInteger(n)) throw new RangeError(`count ${field}=${n} is not a safe integer`);
}

export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('store unavailable', { cause });
    this.name = 'StoreUnavailableError';
  }
}

export const KV_STORE = Symbol('KV_STORE');
