// Pass criterion: a production-shaped gateway (Redis store, the default 600/60s limit synced every 100 ms, cache on)
// answers 100 GETs for a URL that already answered uncacheable, sent at once, with a handful of Redis commands in all, not one or two per
// request (at most a quarter of the request count, against two per request before: a script call and a cache GET).
// The limiter pushes its counts in batches (one script call per client per sync, so the bound allows 25 syncs of
// 100 ms on a slow machine) and the cache looks the URL up about once. The counts still reach Redis: the client's
// window there holds all 101, with a TTL. INFO commandstats also counts the commands a script runs (SET, INCRBY,
// PTTL, PEXPIRE here): they are one round trip with their script, so they are left out.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { waitFor } from '../support/migration';
import { startRedis, type RedisServer } from '../support/redis';
import { callsBetween, commandCalls } from '../support/redis-commands';

const REQUESTS = 100;
let redis: RedisServer;
let upstream: CountingUpstream;
let gw: RunningGateway;

before(async () => {
  redis = await startRedis();
  upstream = await startCountingUpstream();
  gw = await startGateway({ LEGACY_URL: upstream.url, REDIS_URL: redis.url });
  await waitReady(gw);
});
after(async () => {
  await gw?.stop();
  await upstream?.close();
  await redis?.stop();
});

const cli = (...args: string[]) =>
  execFileSync('redis-cli', ['-p', String(redis.port), ...args])
    .toString()
    .trim();

test(`${REQUESTS} limited requests cost a few Redis round trips, not one per request, and all are counted there`, async () => {
  const key = 'rl:default:a:127.0.0.1';
  // Polled with GETRANGE, so the test's own reads are not taken for cache lookups (GET).
  const count = () => Number(cli('getrange', key, '0', '-1') || 0);
  // One answer first: concurrent first requests all look the URL up before any answer says it is not cacheable.
  assert.equal((await send(`${gw.url}/api/v1/report`)).status, 200);
  await waitFor(() => count() === 1, 5_000);
  const before = await commandCalls(redis.port);
  const results = await Promise.all(
    Array.from({ length: REQUESTS }, () => send(`${gw.url}/api/v1/report`, { timeoutMs: 15_000 })),
  );
  assert.deepEqual([...new Set(results.map((r) => r.status))], [200]);
  assert.equal(results[0].headers['ratelimit-limit'], '600');
  await waitFor(() => count() === REQUESTS + 1, 5_000).catch(() => assert.fail(`count in Redis: ${count()}`));
  const sent = callsBetween(before, await commandCalls(redis.port));
  delete sent.getrange;
  const inScripts = ['set', 'incrby', 'pttl', 'pexpire'].reduce((n, c) => n + (sent[c] ?? 0), 0);
  const roundTrips = Object.values(sent).reduce((n, c) => n + c, 0) - inScripts;
  console.log(`# ${REQUESTS} requests, ${roundTrips} Redis round trips: ${JSON.stringify(sent)}`);
  assert.ok(
    roundTrips <= REQUESTS / 4,
    `${roundTrips} Redis commands for ${REQUESTS} requests: ${JSON.stringify(sent)}`,
  );
  assert.ok(Number(cli('pttl', key)) > 0, 'the window has a TTL');
});
