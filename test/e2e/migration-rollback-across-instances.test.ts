import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { admin, ADMIN_TOKEN, sideUpstream, waitFor } from '../support/migration';
import { startRedis, type RedisServer } from '../support/redis';

let redis: RedisServer;
let legacy: CountingUpstream;
let fresh: CountingUpstream;
let a: RunningGateway;
let b: RunningGateway;
let env: Record<string, string>;

before(async () => {
  redis = await startRedis();
  legacy = await sideUpstream('legacy');
  fresh = await startSlowNew();
  const yaml = `
routes:
  - id: reports
    path: /api/v1/reports/*
    target: ${fresh.url}
`;
  env = { LEGACY_URL: legacy.url, ROUTES_FILE: routesFile(yaml), RATE_LIMIT: 'off', ADMIN_TOKEN, REDIS_URL: redis.url };
  [a, b] = await Promise.all([startGateway(env), startGateway(env)]);
  await Promise.all([waitReady(a), waitReady(b)]);
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await legacy?.close();
  await fresh?.close();
  await redis?.stop();
});

/** The new side; `/slow` answers after 800 ms, to have a request in flight across the switch. */
async function startSlowNew() {
  const { startCountingUpstream } = await import('../support/counting-upstream');
  return startCountingUpstream((req, res) => {
    const answer = () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ side: 'new', url: req.url }));
    };
    if (req.url?.includes('slow')) setTimeout(answer, 800);
    else answer();
  });
}

const side = async (gw: RunningGateway) => (await send(`${gw.url}/api/v1/reports/q`)).json().side;

test('a full rollback through the admin API on A is in force on B within 1 s; in-flight requests finish where they started', async () => {
  assert.equal(await side(a), 'new');
  assert.equal(await side(b), 'new');
  const arrived = fresh.hits();
  const inFlight = send(`${b.url}/api/v1/reports/slow`);
  // In flight across the switch: the new side has it (and answers 800 ms later) before the rollback is made.
  await waitFor(() => fresh.hits() > arrived, 2_000, { what: 'the slow request at the new side', stepMs: 5 });
  const put = await admin(a.url, 'PUT', '/admin/flags', { route_all_to_legacy: true });
  assert.equal(put.status, 200, put.body.toString());
  assert.deepEqual(put.json().route_all_to_legacy, { value: true, source: 'admin' });
  const took = await waitFor(async () => (await side(b)) === 'legacy', 1_000, { stepMs: 10 });
  assert.ok(took < 1_000, `B switched after ${took} ms`);
  const slow = await inFlight;
  assert.equal(slow.status, 200, 'the in-flight request was not dropped');
  assert.equal(slow.json().side, 'new', 'it finished on the side it started on');
  const flags = (await admin(b.url, 'GET', '/admin/flags')).json();
  assert.deepEqual(flags.route_all_to_legacy, { value: true, source: 'admin' });
  assert.match((await send(`${b.url}/metrics`)).body.toString(), /gateway_flag\{name="route_all_to_legacy"\} 1/);
});

test('a new instance loads the persisted overrides at start; clearing the override switches both back', async () => {
  const c = await startGateway(env);
  try {
    await waitReady(c);
    await waitFor(async () => (await side(c)) === 'legacy', 2_000);
    const put = await admin(c.url, 'PUT', '/admin/flags', { route_all_to_legacy: null });
    assert.deepEqual(put.json().route_all_to_legacy, { value: false, source: 'env' });
    await waitFor(async () => (await side(a)) === 'new' && (await side(b)) === 'new', 1_000, { stepMs: 10 });
  } finally {
    await c.stop();
  }
});

test('a per-route rollback via the admin API reaches the other instance too', async () => {
  await admin(b.url, 'PUT', '/admin/routes/reports', { rollback: true });
  await waitFor(async () => (await side(a)) === 'legacy', 1_000, { stepMs: 10 });
  const route = (await admin(a.url, 'GET', '/admin/routes'))
    .json()
    .routes.find((r: { id: string }) => r.id === 'reports');
  assert.deepEqual(route.rollback, { value: true, source: 'admin' });
  assert.ok(route.served.legacy >= 1 && route.served.new >= 1, JSON.stringify(route.served));
  await admin(b.url, 'PUT', '/admin/routes/reports', { rollback: null });
  await waitFor(async () => (await side(a)) === 'new', 1_000, { stepMs: 10 });
});

test('ROUTE_ALL_TO_LEGACY=true in the environment cannot be undone at run time (409)', async () => {
  const forced = await startGateway({ ...env, ROUTE_ALL_TO_LEGACY: 'true' });
  try {
    await waitReady(forced);
    const put = await admin(forced.url, 'PUT', '/admin/flags', { route_all_to_legacy: false });
    assert.equal(put.status, 409);
    assert.equal(put.json().code, 'FLAG_FORCED_BY_ENV');
    assert.deepEqual((await admin(forced.url, 'GET', '/admin/flags')).json().route_all_to_legacy, {
      value: true,
      source: 'env',
    });
    assert.equal(await side(forced), 'legacy');
  } finally {
    await forced.stop();
  }
});
