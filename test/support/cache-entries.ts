import { waitFor } from './wait';

/**
 * The SCAN pattern of the response-cache entries for one request target (as sent, query included), whatever the
 * Host and route: keys are `fc:<target>|h=<host>|r=<route>` (src/cache/cache-key.ts), a Vary variant adds `#...`.
 * Glob characters in the target (`?` of a query, say) are escaped so they match only themselves.
 */
export const cacheEntryPattern = (target: string): string => `fc:${target.replace(/[*?[\]\\]/g, '\\$&')}|*`;

/**
 * Waits until Redis holds a cache entry for `target`. The gateway writes the entry once the last byte has gone to
 * the client, so a request sent the moment the answer is in can beat it there (and miss). `keys` lists the keys
 * matching a pattern: scanKeys on one redis-server, RedisGroup.keys on a cluster or behind a Sentinel.
 */
export async function waitForCacheEntry(
  keys: (pattern: string) => Promise<string[]>,
  target: string,
  timeoutMs = 5_000,
): Promise<void> {
  await waitFor(async () => (await keys(cacheEntryPattern(target))).length > 0, timeoutMs, {
    what: `a cache entry for ${target} in Redis`,
    stepMs: 50,
    detail: async () => `all cache keys: ${(await keys('fc:*')).join(', ') || 'none'}`,
  });
}
