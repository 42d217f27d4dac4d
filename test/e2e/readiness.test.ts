import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send, type RawResponse } from '../support/http';
import { startLegacy, type LegacyApp } from '../support/legacy-flask';
import { CLOSED_PORT } from '../support/ports';
import { startRedis, type RedisServer } from '../support/redis';
import { waitFor } from '../support/wait';

/**
 * Polls /health/ready until it answers `status` or `withinMs` runs out; each round also asks /health, which must
 * stay 200 whatever readiness says (a failing dependency must never get the process restarted).
 */
async function readyBecomes(
  gw: RunningGateway,
  status: number,
  withinMs: number,
): Promise<{ res: RawResponse; ms: number }> {
  let res!: RawResponse;
  const ms = await waitFor(
    async () => {
      const [ready, live] = await Promise.all([send(`${gw.url}/health/ready`), send(`${gw.url}/health`)]);
      res = ready;
      assert.equal(live.status, 200, `/health answered ${live.status} while readiness was ${ready.status}`);
      return ready.status === status;
    },
    withinMs,
    { what: `/health/ready ${status}`, stepMs: 100, detail: () => `last answer: ${res?.status} ${res?.body}` },
  );
  return { res, ms };
}

/** Polls until the answer is 200 with every dependency up (a starting pod is already 200 "degraded" before Redis connects). */
async function fullyReady(gw: RunningGateway, withinMs: number): Promise<RawResponse> {
  let res!: RawResponse;
  await waitFor(
    async () => {
      res = await send(`${gw.url}/health/ready`);
      return res.status === 200 && res.json().status === 'ready';
    },
    withinMs,
    { what: '/health/ready 200 "ready"', stepMs: 100, detail: () => `last answer: ${res?.status} ${res?.body}` },
  );
  return res;
}

function assertNotReady(res: RawResponse): Record<string, string> {
  assert.equal(res.status, 503);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const p = res.json();
  assert.equal(p.code, 'NOT_READY');
  return p.checks;
}

let legacy: LegacyApp;
/** A legacy instance of its own, stopped by one test. */
let doomedLegacy: LegacyApp;
let redis: RedisServer;
let withRedis: RunningGateway;
let failClosed: RunningGateway;
let withDoomedLegacy: RunningGateway;
let withOneDeadLegacy: RunningGateway;
let neverReachedLegacy: RunningGateway;

before(async () => {
  const deadPort = CLOSED_PORT;
  [legacy, doomedLegacy, redis] = await Promise.all([startLegacy(), startLegacy(), startRedis()]);
  [withRedis, failClosed, withDoomedLegacy, withOneDeadLegacy, neverReachedLegacy] = await Promise.all([
    startGateway({ LEGACY_URL: legacy.url, REDIS_URL: redis.url }),
    startGateway({ LEGACY_URL: legacy.url, REDIS_URL: redis.url, RATE_LIMIT_FAIL_OPEN: 'false' }),
    startGateway({ LEGACY_URL: doomedLegacy.url }),
    startGateway({ LEGACY_URL: `http://127.0.0.1:${deadPort},${legacy.url}` }),
    startGateway({ LEGACY_URL: `http://127.0.0.1:${deadPort}` }),
  ]);
});

after(async () => {
  await Promise.all(
    [withRedis, failClosed, withDoomedLegacy, withOneDeadLegacy, neverReachedLegacy].map((g) => g?.stop()),
  );
  await Promise.all([legacy?.stop(), doomedLegacy?.stop(), redis?.stop()]);
});

test('with Redis and legacy up, /health/ready is 200 and says so', async () => {
  // The Redis client connects in the background after boot, so the first answers may still say degraded.
  const res = await fullyReady(withRedis, 5_000);
  assert.equal(res.json().checks.store, 'redis: up');
  assert.equal(res.json().checks.legacy, '1/1 reachable');
});

test('when Redis dies, a pod that can still serve stays ready (degraded); with fail-closed limits it turns 503', async () => {
  await Promise.all([fullyReady(withRedis, 5_000), readyBecomes(failClosed, 200, 5_000)]);
  await redis.stop();
  // Fail-closed limits refuse every limited request without Redis: that pod cannot serve, so it leaves rotation.
  const { res, ms } = await readyBecomes(failClosed, 503, 2_500);
  const checks = assertNotReady(res);
  assert.equal(checks.store, 'redis: down');
  assert.equal(checks.shutdown, 'no');
  assert.ok(ms < 2_500, `took ${Math.round(ms)} ms`);
  // Fail-open (the default): every pod shares this Redis, so failing readiness would empty the Service at once.
  const degraded = await send(`${withRedis.url}/health/ready`);
  assert.equal(degraded.status, 200, degraded.body.toString());
  assert.equal(degraded.json().status, 'degraded');
  assert.match(degraded.json().checks.store, /^redis: down \(degraded/);
  const metrics = (await send(`${withRedis.url}/metrics`)).body.toString();
  assert.match(metrics, /^gateway_dependency_up\{dependency="store"\} 0$/m);
  assert.match(metrics, /^gateway_ready 1$/m);
  assert.equal((await send(`${withRedis.url}/api/v1/items`)).status, 200);
});

test('when Redis comes back on the same address, /health/ready returns to 200', async () => {
  if (redis.child.alive()) await redis.stop();
  // The client's reconnect back-off is capped at 2 s, so a few seconds must do.
  redis = await startRedis(redis.port);
  const { res } = await readyBecomes(failClosed, 200, 8_000);
  assert.equal(res.json().checks.store, 'redis: up');
  // The fail-open pod was ready all along; it reports Redis back once its own client has reconnected.
  assert.equal((await fullyReady(withRedis, 8_000)).json().checks.store, 'redis: up');
});

test('a pod that never reached legacy is not ready (a wrong LEGACY_URL stalls a rollout)', async () => {
  const res = await send(`${neverReachedLegacy.url}/health/ready`);
  const checks = assertNotReady(res);
  assert.equal(checks.legacy, '0/1 reachable');
});

test('once ready, a pod stays ready through a legacy outage: v2 still serves, v1 answers 502', async () => {
  await readyBecomes(withDoomedLegacy, 200, 5_000);
  await doomedLegacy.stop();
  // Each readiness check probes legacy afresh: wait for one that no longer reaches it. Every answer on the way
  // must be 200, the pod staying in rotation throughout.
  let res!: RawResponse;
  await waitFor(
    async () => {
      res = await send(`${withDoomedLegacy.url}/health/ready`);
      assert.equal(res.status, 200, res.body.toString());
      return res.json().checks.legacy.startsWith('0/1');
    },
    5_000,
    { what: 'readiness to see legacy gone', stepMs: 50 },
  );
  assert.equal(res.json().status, 'degraded');
  assert.match(res.json().checks.legacy, /^0\/1 reachable \(degraded/);
  assert.equal((await send(`${withDoomedLegacy.url}/api/v2/meta`)).status, 200);
  assert.equal((await send(`${withDoomedLegacy.url}/api/v1/items`)).status, 502);
});

test('with one of two legacy instances dead, /health/ready stays 200', async () => {
  const res = await send(`${withOneDeadLegacy.url}/health/ready`);
  assert.equal(res.status, 200, res.body.toString());
  assert.equal(res.json().checks.legacy, '1/2 reachable');
});
