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
