import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';

/**
 * Adds a batch of admissions to one window in Redis and answers its count and time left. The same key, value and
 * expiry as rate-limiter-flexible's own script (a counter created with the window's lifetime), so instances in
 * exact mode (RATE_LIMIT_SYNC_MS=0) and synced ones share windows during a rollout; milliseconds here, and an
 * expiry restored if anything ever left the key without one: no rate-limit key may live forever.
 */
const SYNC_SCRIPT = `
redis.call('set', KEYS[1], 0, 'PX', ARGV[2], 'NX')
local total = redis.call('incrby', KEYS[1], ARGV[1])
local ttl = redis.call('pttl', KEYS[1])
if ttl < 0 then
  redis.call('pexpire', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {total, ttl}
`;

const COMMAND = 'figwayRateLimitSync';

export interface SyncRequest {
  key: string;
  count: number;
  windowMs: number;
}

/** Per request, the window's [count, ttl ms] in Redis, or the error that kept it from being counted. */
export type SyncResult = [count: number, ttlMs: number] | Error;

type WithSync = { [COMMAND](key: string, count: number, windowMs: number): Promise<[number, number]> };

/**
 * Sends one batch of window increments. A single server (or Sentinel-managed master) gets them as one pipeline: one
 * write and one read for the whole batch. A cluster gets one command per key, each to the node owning its slot
 * (keys of one pipeline must share a node there), all in flight at once.
 */
export function redisSync(redis: Redis | Cluster): (batch: SyncRequest[]) => Promise<SyncResult[]> {
  if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: SYNC_SCRIPT });
  const isCluster = 'nodes' in redis && typeof redis.nodes === 'function';
  const asError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));
  return async (batch) => {
    if (isCluster) {
      const client = redis as unknown as WithSync;
      const settled = await Promise.allSettled(batch.map((r) => client[COMMAND](r.key, r.count, r.windowMs)));
      return settled.map((s) => (s.status === 'fulfilled' ? toResult(s.value) : asError(s.reason)));
    }
    const pipe = redis.pipeline() as unknown as WithSync & { exec(): Promise<[Error | null, unknown][] | null> };
    // Queued on the pipeline (its exec() below sends them); the typing above calls it a promise.
    for (const r of batch) void pipe[COMMAND](r.key, r.count, r.windowMs);
    const replies = (await pipe.exec()) ?? [];
    return batch.map((_, i) => {
      const [err, value] = replies[i] ?? [new Error('no reply'), null];
      return err ? asError(err) : toResult(value);
    });
  };
}

function toResult(value: unknown): SyncResult {
  if (!Array.isArray(value) || value.length !== 2) return new Error(`unexpected reply ${JSON.stringify(value)}`);
  return [Number(value[0]), Number(value[1])];
}
