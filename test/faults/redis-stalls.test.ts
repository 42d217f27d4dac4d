// Pass criterion: with REDIS_URL set and the default rate limit, Redis is frozen (SIGSTOP: the TCP connection stays
// open, commands just get no answer, which is what a Redis stuck in a long command or a swap storm looks like) for
// 2 s while 4 clients keep sending GETs (half of them to a cacheable path). No request is lost, the 5xx share is 0,
// and no request takes longer than 2 s: the store's 500 ms command timeout bounds the rate-limit check and the
// cache lookup (two calls in series, ~1 s measured), limits fail open; the rest is slack for a loaded 2-core CI.
// After SIGCONT requests are fast again (each under 300 ms) and the rate-limit counters are back in Redis.
// rate-limit-when-redis-dies / cache-survives-redis-death cover a Redis that is gone (connection refused, fast
// failures); a stalled one is the harder case because every command waits for its timeout.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { waitFor } from '../support/migration';
import { startRedis, type RedisServer } from '../support/redis';

const STALL_MS = 2_000;
const BOUND_MS = 2_000;

let redis: RedisServer;
let upstream: CountingUpstream;
let gw: RunningGateway;

before(async () => {
  redis = await startRedis();
  upstream = await startCountingUpstream((req, res, n) => {
    res.setHeader('content-type', 'application/json');
    // One path the cache stores, one it does not, so both the cache and the plain path meet the stall.
    if (req.url?.startsWith('/api/v1/cached')) res.setHeader('cache-control', 'public, max-age=60');
    res.end(JSON.stringify({ n }));
  });
  gw = await startGateway({ LEGACY_URL: upstream.url, REDIS_URL: redis.url });
  await waitReady(gw);
});

after(async () => {
  // A stopped process ignores SIGTERM until continued; SIGKILL (redis.stop) works either way, SIGCONT is belt and braces.
  redis?.child.proc.kill('SIGCONT');
  await gw?.stop();
  await upstream?.close();
  await redis?.stop();
});

const rateLimitKeys = () =>
  execFileSync('redis-cli', ['-p', String(redis.port), '--scan', '--pattern', 'rl:*'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);

test('a Redis frozen for 2 s under load costs no request and no 5xx, and each request stays under 2 s', async () => {
  const results: { status: number; ms: number; at: number; err?: string }[] = [];
  const t0 = performance.now();
  let stoppedAt = 0;
  let resumedAt = 0;
  // The fault's schedule within the load (freeze 0.5 s in, thaw STALL_MS later): a timeline the test sets, not a
  // wait for an event.
  const freezer = (async () => {
    await new Promise((r) => setTimeout(r, 500));
    redis.child.proc.kill('SIGSTOP');
    stoppedAt = performance.now() - t0;
    await new Promise((r) => setTimeout(r, STALL_MS));
    redis.child.proc.kill('SIGCONT');
    resumedAt = performance.now() - t0;
  })();
  // Paced so four clients stay well inside the default 600/60s for one address over the whole run.
  await Promise.all(
    Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; performance.now() - t0 < 500 + STALL_MS + 1_000; i++) {
        const path = i % 2 ? `/api/v1/cached/${w}` : `/api/v1/plain/${w}/${i}`;
        const s = performance.now();
        try {
          const res = await send(`${gw.url}${path}`, { timeoutMs: 10_000 });
          results.push({ status: res.status, ms: performance.now() - s, at: s - t0 });
        } catch (err) {
          results.push({ status: 0, ms: performance.now() - s, at: s - t0, err: (err as Error).message });
        }
        // Pacing (see above), not a wait.
        await new Promise((r) => setTimeout(r, 40));
      }
    }),
  );
  await freezer;

  const during = results.filter((r) => r.at >= stoppedAt && r.at < resumedAt);
  const worst = Math.max(...results.map((r) => r.ms));
  console.log(
    `# redis stall: ${results.length} requests, ${during.length} sent during the ${STALL_MS} ms stall, worst ${Math.round(worst)} ms`,
  );
  const bad = results.filter((r) => r.status !== 200);
  assert.deepEqual(bad, [], 'requests that were not answered 200');
  assert.ok(during.length >= 4, `only ${during.length} requests were sent while Redis was frozen`);
  assert.ok(worst < BOUND_MS, `a request took ${Math.round(worst)} ms`);
});

test('after SIGCONT, requests are fast again and rate-limit counters live in Redis again', async () => {
  await waitReady(gw, 5_000);
  execFileSync('redis-cli', ['-p', String(redis.port), 'flushall']);
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const s = performance.now();
    const res = await send(`${gw.url}/api/v1/plain/after/${i}`);
    times.push(performance.now() - s);
    assert.equal(res.status, 200, res.body.toString());
  }
  assert.ok(Math.max(...times) < 300, `requests after the stall took ${times.map(Math.round).join(',')} ms`);
  // Synced mode pushes counts every RATE_LIMIT_SYNC_MS (100 ms), so the window can land just after the last request.
  await waitFor(() => rateLimitKeys().length > 0, 2_000).catch(() =>
    assert.fail('no rate-limit key was written to Redis after it came back'),
  );
});
