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
   * Adds each value (an integer) to the field of the hash at `key`, creating it if absent, and sets the hash's TTL;
   * one round trip. The store sums what every instance adds (the rollout evidence, src/rollout).
   */
  addCounts(key: string, counts: Record<string, number>, ttlMs: number): Promise<void>;
  /**
   * The hashes at `keys`, in order (an empty object for a missing key); one round trip. Keys read together share a
   * Redis Cluster hash tag (`...{route}...`), so one node serves them.
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

export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('store unavailable', { cause });
    this.name = 'StoreUnavailableError';
  }
}

export const KV_STORE = Symbol('KV_STORE');
