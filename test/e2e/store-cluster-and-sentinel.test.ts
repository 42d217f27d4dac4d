import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitForCacheEntry } from '../support/cache-entries';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send, type RawResponse } from '../support/http';
import { startRedisCluster, startRedisSentinel, type RedisGroup } from '../support/redis';
import { waitFor } from '../support/wait';

let upstream: CountingUpstream;
const cleanup: (() => Promise<unknown>)[] = [];

before(async () => {
  upstream = await startCountingUpstream((req, res, n) => {
    res.setHeader('cache-control', 'public, max-age=60');
    res.end(`${req.url} #${n}`);
  });
});
after(async () => {
  for (const c of cleanup.reverse()) await c();
  await upstream?.close();
});

async function twoInstances(group: RedisGroup): Promise<[RunningGateway, RunningGateway]> {
  // Exact rate limiting (a Redis round trip per request): the check below counts to exactly six across the two.
  // The default synced mode through a cluster and Sentinel: rate-limit-synced-through-cluster-and-sentinel.
  const env = { LEGACY_URL: upstream.url, REDIS_URL: group.url, RATE_LIMIT: '6/60s', RATE_LIMIT_SYNC_MS: '0' };
  const pair = await Promise.all([startGateway(env), startGateway(env)]);
  cleanup.push(() => Promise.all(pair.map((g) => g.stop())));
  return pair;
}

async function readyWithin(gw: RunningGateway, ms: number) {
  let res: RawResponse | undefined;
  await waitFor(async () => (res = await send(`${gw.url}/health/ready`)).status === 200, ms, {
    what: `${gw.url} ready`,
    stepMs: 200,
    detail: () => `not ready: ${res?.body}`,
  });
  return res!.json();
}

async function sharesStateAcross(group: RedisGroup, [a, b]: [RunningGateway, RunningGateway], path: string) {
  const host = { host: 'shop.example' };
  assert.equal((await send(`${a.url}${path}`, { headers: host })).headers['x-cache'], 'MISS');
  // A's entry, in Redis itself (on whichever node owns its slot): B must find it there, not store its own.
  await waitForCacheEntry(group.keys, path);
  assert.equal((await send(`${b.url}${path}`, { headers: host })).headers['x-cache'], 'HIT', 'cache entry shared');
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++)
    statuses.push((await send(`${(i % 2 ? a : b).url}${path}?n=${i}`, { headers: host })).status);
  // Two requests above plus four here make six: the seventh and eighth overall are refused on either instance.
  assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
}

test('with REDIS_URL=redis+cluster://..., cache and rate limits are shared through a real Redis Cluster', async () => {
  const cluster = await startRedisCluster();
  cleanup.push(() => cluster.stop());
  const pair = await twoInstances(cluster);
  assert.match((await readyWithin(pair[0], 5_000)).checks.store, /redis: up/);
  await sharesStateAcross(cluster, pair, '/api/v1/cluster-item');
});

test('with REDIS_URL=redis+sentinel://.../master, the gateway finds the master through Sentinel', async () => {
  const sentinel = await startRedisSentinel();
  cleanup.push(() => sentinel.stop());
  const pair = await twoInstances(sentinel);
  assert.match((await readyWithin(pair[0], 5_000)).checks.store, /redis: up/);
  await sharesStateAcross(sentinel, pair, '/api/v1/sentinel-item');
});
