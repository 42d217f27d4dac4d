// Pass criterion: a production-shaped gateway (Redis store, cache on, default rate limit) looks a GET up in Redis
// once; after that answer came back without any lifetime (no Cache-Control, no Expires, no route ttl), further GETs
// for it make no cache lookup (no GET command in Redis) for CACHE_UNCACHEABLE_TTL_MS, and once 8 URLs of a route
// did, the route's other URLs make none either. A cacheable route keeps its lookups (its HITs need them).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { waitFor } from '../support/migration';
import { startRedis, type RedisServer } from '../support/redis';
import { watchCommands } from '../support/redis-commands';

let redis: RedisServer;
let upstream: CountingUpstream;
let gw: RunningGateway;

before(async () => {
  redis = await startRedis();
  upstream = await startCountingUpstream((req, res, n) => {
    res.setHeader('content-type', 'application/json');
    if (req.url?.startsWith('/cached/')) res.setHeader('cache-control', 'public, max-age=60');
    res.end(JSON.stringify({ n }));
  });
  const routes = routesFile(
    'routes:\n' +
      '  - { id: plain, path: /plain/*, target: legacy }\n' +
      '  - { id: listing, path: /listing/*, target: legacy }\n' +
      '  - { id: cached, path: /cached/*, target: legacy }\n',
  );
  gw = await startGateway({ LEGACY_URL: upstream.url, REDIS_URL: redis.url, ROUTES_FILE: routes });
  await waitReady(gw);
});
after(async () => {
  await gw?.stop();
  await upstream?.close();
  await redis?.stop();
});

function redisKeys(pattern: string): Promise<string[]> {
  return new Promise((resolve, reject) =>
    execFile('redis-cli', ['-p', String(redis.port), '--scan', '--pattern', pattern], (err, out) =>
      err ? reject(err) : resolve(out.split('\n').filter(Boolean)),
    ),
  );
}

/**
 * Sends the paths one after the other; returns the X-Cache verdicts and the cache lookups (GET of an `fc:` key)
 * Redis saw meanwhile. Counted per key family: other GETs (the persisted flags, read after a resubscription) may
 * come at any time and are not the cache's.
 */
async function lookups(paths: string[]): Promise<{ verdicts: string[]; gets: number }> {
  const watch = await watchCommands(redis.port);
  const verdicts: string[] = [];
  for (const p of paths) {
    const res = await send(`${gw.url}${p}`);
    assert.equal(res.status, 200, p);
    verdicts.push(String(res.headers['x-cache']));
  }
  const commands = await watch.stop();
  return { verdicts, gets: commands.filter((c) => /"get" "fc:/i.test(c)).length };
}

test('a URL that answered with no lifetime is not looked up in Redis again', async () => {
  const { verdicts, gets } = await lookups(Array.from({ length: 20 }, () => '/plain/report'));
  assert.deepEqual(new Set(verdicts), new Set(['MISS']));
  assert.equal(gets, 1, 'only the first request looked the key up');
  assert.equal(upstream.hits(), 20);
});

test('after 8 URLs of a route answered with no lifetime, its other URLs are not looked up either', async () => {
  const { gets } = await lookups(Array.from({ length: 30 }, (_, i) => `/listing/item-${i}`));
  assert.equal(gets, 8);
});

test('a cacheable route is still looked up: its later requests are HITs from Redis', async () => {
  assert.deepEqual((await lookups(['/cached/page'])).verdicts, ['MISS']);
  // The entry is written once the last byte has gone to the client, so the next request could beat it to Redis.
  await waitFor(async () => (await redisKeys('fc:/cached/page*')).length > 0, 5_000);
  const { verdicts, gets } = await lookups(['/cached/page', '/cached/page']);
  assert.deepEqual(verdicts, ['HIT', 'HIT']);
  assert.equal(gets, 2);
});
