import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import { StoreUnavailableError, type KeyValueStore } from './key-value-store';

async function guard<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw new StoreUnavailableError(err);
  }
}

export class RedisStore implements KeyValueStore {
  readonly kind = 'redis' as const;

  constructor(readonly redis: Redis | Cluster) {}

  get(key: string): Promise<Buffer | null> {
    return guard(() => this.redis.getBuffer(key));
  }

  async set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    await guard(() => this.redis.set(key, value, 'PX', Math.max(1, Math.ceil(ttlMs))));
  }

  async setIfAbsent(key: string, value: Buffer, ttlMs: number): Promise<boolean> {
    return (await guard(() => this.redis.set(key, value, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'))) === 'OK';
  }

  async del(key: string): Promise<boolean> {
    return (await guard(() => this.redis.del(key))) > 0;
  }

  /** SCAN, never KEYS: a purge must not stall a shared Redis. On a cluster every master is scanned. */
  async deleteByPrefix(prefix: string): Promise<number> {
    const pattern = prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`) + '*';
    const nodes: Redis[] =
      'nodes' in this.redis && typeof this.redis.nodes === 'function'
        ? this.redis.nodes('master')
        : [this.redis as Redis];
    let n = 0;
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await guard(() => node.scan(cursor, 'MATCH', pattern, 'COUNT', 500));
        cursor = next;
        // One key per DEL: keys of one batch may live in different cluster slots.
        for (const k of keys) n += await guard(() => node.del(k));
      } while (cursor !== '0');
    }
    return n;
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  /** The client connects on its own after construction; without an offline queue, commands fail until it is ready. */
  connected(timeoutMs: number): Promise<boolean> {
    if (this.redis.status === 'ready') return Promise.resolve(true);
    return new Promise((resolve) => {
      const onReady = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        resolve(false);
      }, timeoutMs);
      this.redis.once('ready', onReady);
    });
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
