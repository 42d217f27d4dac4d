import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import { checkCounts, StoreUnavailableError, type KeyValueStore } from './key-value-store';

async function guard<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw new StoreUnavailableError(err);
  }
}

/**
 * The scripts below read and write one key, declared in KEYS: atomic on the server, and a Redis Cluster routes them
 * by that key (a script may only touch its declared keys' slot).
 *
 * Compare-and-set: ARGV[1] '1' when a value is expected (ARGV[2]), '0' when the key must be absent. GET answers
 * false for a missing key; strings compare byte for byte.
 */
const SWAP = `local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then if cur ~= ARGV[2] then return 0 end elseif cur then return 0 end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return 1`;

/** Take the lease when free, extend it when the owner holds it. */
const HOLD_LEASE = `local cur = redis.call('GET', KEYS[1])
if not cur then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;

const RELEASE_LEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const ttl = (ms: number) => String(Math.max(1, Math.ceil(ms)));

/** A pipeline's or transaction's replies, failing as a whole if one command failed. */
function replies(results: [Error | null, unknown][] | null): unknown[] {
  if (!results) throw new Error('transaction aborted');
  for (const [err] of results) if (err) throw err;
  return results.map(([, value]) => value);
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

  /**
   * MULTI/EXEC: the PEXPIRE runs with the HINCRBYs, so a new hash never lives without its TTL. The counts are checked
   * first: inside MULTI a HINCRBY refused at run time (a NaN) fails alone while the others and the PEXPIRE apply,
   * and the caller would see an error for a write that half happened.
   */
  async addCounts(key: string, counts: Record<string, number>, ttlMs: number): Promise<void> {
    checkCounts(counts);
    await guard(async () => {
      const tx = this.redis.multi();
      for (const [field, n] of Object.entries(counts)) tx.hincrby(key, field, n);
      tx.pexpire(key, ttl(ttlMs));
      replies(await tx.exec());
    });
  }

  /** One pipeline of HGETALL; on a cluster ioredis refuses the whole pipeline when the keys span nodes. */
  async readCounts(keys: string[]): Promise<Record<string, number>[]> {
    if (keys.length === 0) return [];
    const hashes = await guard(async () => {
      const pipeline = this.redis.pipeline();
      for (const key of keys) pipeline.hgetall(key);
      return replies(await pipeline.exec()) as Record<string, string>[];
    });
    return hashes.map((h) => Object.fromEntries(Object.entries(h).map(([f, v]) => [f, Number(v)])));
  }

  async swap(key: string, expected: Buffer | null, next: Buffer, ttlMs: number): Promise<boolean> {
    const args = expected ? ['1', expected] : ['0', ''];
    return (await guard(() => this.redis.eval(SWAP, 1, key, ...args, next, ttl(ttlMs)))) === 1;
  }

  async holdLease(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await guard(() => this.redis.eval(HOLD_LEASE, 1, key, owner, ttl(ttlMs)))) === 1;
  }

  async releaseLease(key: string, owner: string): Promise<void> {
    await guard(() => this.redis.eval(RELEASE_LEASE, 1, key, owner));
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
