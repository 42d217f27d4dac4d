import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { waitForCacheEntry } from '../support/cache-entries';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startRedis, type RedisServer } from '../support/redis';
import { scanKeys } from '../support/redis-commands';

let redis: RedisServer;
let upstream: CountingUpstream;
let a: RunningGateway;
let b: RunningGateway;
// Behind a load balancer both instances see the public name; the Host is part of the cache key.
const HOST = 'shop.example.test';

function cacheKeys(): string[] {
  return execFileSync('redis-cli', ['-p', String(redis.port), '--scan', '--pattern', 'fc:*'])
    .toString()
    .split('\n')
    .filter(Boolean);
}

before(async () => {
  redis = await startRedis();
  upstream = await startCountingUpstream((req, res, n) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'public, max-age=60' });
    res.end(`${req.url} from upstream request #${n}`);
  });
  const routes = routesFile('routes:\n  - { id: shop, path: /shop/*, target: legacy }\n');
  const env = { LEGACY_URL: upstream.url, REDIS_URL: redis.url, ROUTES_FILE: routes, RATE_LIMIT: 'off' };
  [a, b] = await Promise.all([startGateway(env), startGateway(env)]);
  await Promise.all([waitReady(a), waitReady(b)]);
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await upstream?.close();
  await redis?.stop();
});

test('a response cached by instance A is a HIT on instance B: one upstream request in total', async () => {
  const miss = await send(`${a.url}/shop/products?page=1`, { headers: { host: HOST } });
  assert.equal(miss.status, 200);
  assert.equal(miss.headers['x-cache'], 'MISS');
  await waitForCacheEntry((pattern) => scanKeys(redis.port, pattern), '/shop/products?page=1');
  const hit = await send(`${b.url}/shop/products?page=1`, { headers: { host: HOST } });
  assert.equal(hit.status, 200);
  assert.equal(hit.headers['x-cache'], 'HIT');
  assert.equal(hit.body.toString(), miss.body.toString());
  assert.equal(upstream.hits(), 1);
});

test('the entries in Redis expire on their own', async () => {
  const keys = cacheKeys();
  assert.ok(keys.length > 0);
  for (const k of keys) {
    const ttl = Number(execFileSync('redis-cli', ['-p', String(redis.port), 'pttl', k]).toString());
    assert.ok(ttl > 0 && ttl <= 60_000, `${k} has TTL ${ttl}`);
  }
});
