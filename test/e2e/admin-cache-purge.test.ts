import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitForCacheEntry } from '../support/cache-entries';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startRedis, type RedisServer } from '../support/redis';
import { scanKeys } from '../support/redis-commands';

const TOKEN = 'an-admin-token-long-enough';
let redis: RedisServer;
let upstream: CountingUpstream;
let a: RunningGateway;
let b: RunningGateway;
let noAdmin: RunningGateway;

before(async () => {
  redis = await startRedis();
  upstream = await startCountingUpstream((req, res, n) => {
    res.setHeader('cache-control', 'public, max-age=300');
    res.end(`${req.url} #${n}`);
  });
  const env = { LEGACY_URL: upstream.url, REDIS_URL: redis.url, RATE_LIMIT: 'off' };
  [a, b, noAdmin] = await Promise.all([
    startGateway({ ...env, ADMIN_TOKEN: TOKEN }),
    startGateway({ ...env, ADMIN_TOKEN: TOKEN }),
    startGateway(env),
  ]);
  await Promise.all([waitReady(a), waitReady(b)]);
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop(), noAdmin?.stop()]);
  await upstream?.close();
  await redis?.stop();
});

// Instances behind one load balancer see the same Host; the cache key includes it.
const host = { host: 'shop.example' };
const get = (gw: RunningGateway, url: string) => send(`${gw.url}${url}`, { headers: host });

const purge = (gw: RunningGateway, query: string, token = TOKEN) =>
  send(`${gw.url}/admin/cache?${query}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });

async function warm(url: string) {
  await get(a, url);
  // A's entry, seen in Redis itself: B's request below must find it there, not store one of its own.
  await waitForCacheEntry((pattern) => scanKeys(redis.port, pattern), url);
  const again = await get(b, url);
  assert.equal(again.headers['x-cache'], 'HIT', `${url} should be cached before the purge`);
}

test('purging one URL on instance A makes both instances fetch it again, and leaves other URLs cached', async () => {
  await warm('/api/v1/catalog?b=2&a=1');
  await warm('/api/v1/catalog?a=1&b=2');
  await warm('/api/v1/catalog/other');
  // Keys hold the query as sent: the URL names one order, and the other order is another entry.
  const res = await purge(a, `url=${encodeURIComponent('/api/v1/catalog?b=2&a=1')}`);
  assert.equal(res.status, 200);
  assert.equal(res.json().deleted, 1);
  assert.equal((await get(b, '/api/v1/catalog?b=2&a=1')).headers['x-cache'], 'MISS');
  assert.equal((await get(b, '/api/v1/catalog?a=1&b=2')).headers['x-cache'], 'HIT');
  assert.equal((await get(b, '/api/v1/catalog/other')).headers['x-cache'], 'HIT');
});

test('purging a prefix removes every URL below it', async () => {
  await warm('/api/v1/shelf/1');
  await warm('/api/v1/shelf/2?x=1');
  const res = await purge(b, `prefix=${encodeURIComponent('/api/v1/shelf/')}`);
  assert.equal(res.json().deleted, 2);
  assert.equal((await get(a, '/api/v1/shelf/1')).headers['x-cache'], 'MISS');
  assert.equal((await get(a, '/api/v1/shelf/2?x=1')).headers['x-cache'], 'MISS');
});

test('the admin API refuses a wrong token, and does not exist without ADMIN_TOKEN', async () => {
  const wrong = await purge(a, 'prefix=/', 'not-the-token');
  assert.equal(wrong.status, 401);
  assert.match(String(wrong.headers['content-type']), /^application\/problem\+json/);
  const missing = await send(`${a.url}/admin/cache?prefix=/`, { method: 'DELETE' });
  assert.equal(missing.status, 401);
  const off = await purge(noAdmin, 'prefix=/');
  assert.equal(off.status, 404);
  assert.equal(off.json().code, 'NOT_FOUND');
});

test('a purge without exactly one of url/prefix is a 400 problem', async () => {
  const res = await purge(a, 'url=/a&prefix=/b');
  assert.equal(res.status, 400);
  assert.equal(res.json().code, 'BAD_REQUEST');
});
