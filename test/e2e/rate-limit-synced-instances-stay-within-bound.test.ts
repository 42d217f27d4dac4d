// Pass criterion: two gateways in the default synced mode (RATE_LIMIT_SYNC_MS=100) on one Redis, a client
// alternating between them, each request sent once the previous admission has reached Redis (so each instance's view
// misses at most the other's latest admission: one request per instance within a sync interval). Together they admit
// at least the limit and at most the limit + 1 (the README's bound: the limit plus, per instance, what it received
// in one sync interval and round trip, here only the request that finds its view one behind); refused requests never
// reach the upstream, and the window's count in Redis is what was admitted. Counting per instance without syncing
// would admit 15 each; exact mode (RATE_LIMIT_SYNC_MS=0, rate-limit-across-instances) admits exactly the limit.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { waitFor } from '../support/migration';
import { startRedis, type RedisServer } from '../support/redis';

const LIMIT = 20;
let redis: RedisServer;
let upstream: CountingUpstream;
let a: RunningGateway;
let b: RunningGateway;

before(async () => {
  redis = await startRedis();
  upstream = await startCountingUpstream();
  const env = { LEGACY_URL: upstream.url, REDIS_URL: redis.url, RATE_LIMIT: `${LIMIT}/60s`, CACHE_ENABLED: 'false' };
  [a, b] = await Promise.all([startGateway(env), startGateway(env)]);
  await Promise.all([waitReady(a), waitReady(b)]);
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await upstream?.close();
  await redis?.stop();
});

/** The client's window count in Redis (the loopback client's key under the default policy). */
const countInRedis = () =>
  Number(
    execFileSync('redis-cli', ['-p', String(redis.port), 'get', 'rl:default:a:127.0.0.1'])
      .toString()
      .trim() || 0,
  );

test('two synced instances together admit the limit, and at most one more', async () => {
  const statuses: number[] = [];
  let admitted = 0;
  for (let i = 0; i < 30; i++) {
    const res = await send(`${(i % 2 ? b : a).url}/api/v1/things?i=${i}`);
    statuses.push(res.status);
    if (res.status !== 200) continue;
    admitted++;
    await waitFor(() => countInRedis() === admitted, 5_000);
  }
  assert.ok(admitted >= LIMIT && admitted <= LIMIT + 1, `${admitted} admitted: ${statuses.join(',')}`);
  assert.ok(
    statuses.slice(admitted).every((s) => s === 429),
    statuses.join(','),
  );
  assert.equal(upstream.hits(), admitted, 'refused requests never reach the upstream');
});
