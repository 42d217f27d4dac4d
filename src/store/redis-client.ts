import Redis, { Cluster, type RedisOptions } from 'ioredis';
import type { RedisTarget } from '../config';

/**
 * Short timeouts and no offline queue: with Redis down a command fails in milliseconds instead of queueing behind
 * a reconnect, so callers degrade (fail open, skip the cache) instead of making clients wait.
 */
export const STORE_TIMEOUTS = { connectMs: 1_000, commandMs: 500 };

const COMMON: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: STORE_TIMEOUTS.connectMs,
  commandTimeout: STORE_TIMEOUTS.commandMs,
  retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
};

/** The only constructor of Redis clients in the gateway. */
export function createRedisClient(target: RedisTarget): Redis | Cluster {
  switch (target.mode) {
    case 'single':
      return new Redis(target.url, COMMON);
    case 'cluster':
      return new Cluster(target.nodes, {
        enableOfflineQueue: false,
        clusterRetryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
        redisOptions: {
          ...COMMON,
          username: target.username,
          password: target.password,
          tls: target.tls ? {} : undefined,
        },
      });
    case 'sentinel':
      return new Redis({
        ...COMMON,
        sentinels: target.sentinels,
        name: target.name,
        username: target.username,
        password: target.password,
        sentinelPassword: target.password,
        tls: target.tls ? {} : undefined,
        enableTLSForSentinelMode: target.tls,
      });
  }
}
