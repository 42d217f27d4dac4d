import Redis from 'ioredis';

/**
 * The only constructor of Redis clients. Short timeouts and no offline queue: with Redis down a command fails in
 * milliseconds instead of queueing behind a reconnect, so callers can degrade (fail open) quickly.
 */
export function createRedisClient(url: string): Redis {
  return new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1_000,
    commandTimeout: 500,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
}
