import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { signIn } from '../support/console';
import type { CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { ADMIN_TOKEN, sideUpstream } from '../support/migration';
import { commandCalls } from '../support/redis-commands';
import { startRedis, type RedisServer } from '../support/redis';
import { getSse, type SseEvent } from '../support/sse-client';

let redis: RedisServer;
let legacy: CountingUpstream;
let fresh: CountingUpstream;
let gw: RunningGateway;

before(async () => {
  redis = await startRedis();
  legacy = await sideUpstream('legacy');
  fresh = await sideUpstream('new');
  const yaml = `
routes:
  - id: reports
    path: /api/v1/reports/*
    target: ${fresh.url}
    weights: { legacy: 70, new: 30 }
  - id: invoices
    path: /api/v1/invoices/*
    target: ${fresh.url}
`;
  gw = await startGateway({
    LEGACY_URL: legacy.url,
    ROUTES_FILE: routesFile(yaml),
    RATE_LIMIT: 'off',
    ADMIN_TOKEN,
    REDIS_URL: redis.url,
  });
  await waitReady(gw);
});
after(async () => {
  await gw?.stop();
  await legacy?.close();
  await fresh?.close();
  await redis?.stop();
});

test('GET /admin/events sends a snapshot of the test routes at once and another within about a second', async () => {
  const cookie = await signIn(gw.url);
  let snapshots = 0;
  const stream = await getSse(`${gw.url}/admin/events`, {
    headers: { cookie },
    stopWhen: (e: SseEvent) => e.event === 'snapshot' && ++snapshots === 2,
    timeoutMs: 10_000,
  });
  assert.equal(stream.status, 200);
  assert.match(String(stream.headers['content-type']), /^text\/event-stream/);
  const [first, second] = stream.events;
  assert.equal(first.event, 'snapshot');
  assert.ok(first.at < 2_000, `first snapshot after ${first.at} ms`);
  assert.ok(second.at - first.at < 2_000, `second snapshot ${second.at - first.at} ms after the first`);
  const snap = first.data;
  assert.deepEqual(Object.keys(snap).sort(), ['at', 'flags', 'instance', 'instances', 'rollouts', 'routes', 'shadow']);
  assert.ok(!Number.isNaN(Date.parse(snap.at)));
  assert.deepEqual(snap.flags.route_all_to_legacy, { value: false, source: 'env' });
  const routes = new Map(snap.routes.map((r: any) => [r.id, r]));
  const reports: any = routes.get('reports');
  const invoices: any = routes.get('invoices');
  assert.ok(reports && invoices, JSON.stringify([...routes.keys()]));
  assert.deepEqual(reports.weights, { legacy: 70, new: 30, source: 'file' });
  assert.equal(invoices.weights.new, 100);
  assert.equal(reports.served_cluster.window_s, 300);
  assert.deepEqual(snap.rollouts, []);
  assert.deepEqual(snap.shadow, []);
  assert.ok(
    snap.instances.some((i: any) => i.id === snap.instance),
    JSON.stringify(snap.instances),
  );
  assert.notEqual(second.data.at, snap.at);
});

test('the Bearer token opens the stream too; once the client hangs up the gateway stops building snapshots', async () => {
  let snapshots = 0;
  const stream = await getSse(`${gw.url}/admin/events`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    stopWhen: (e) => e.event === 'snapshot' && ++snapshots === 2,
    timeoutMs: 10_000,
  });
  assert.equal(stream.status, 200);
  // Each snapshot reads the five-minute evidence of both routes, 300 HGETALLs each, and the instances' two
  // minutes: one snapshot is 602. They must stop with the stream.
  const perSnapshot = 2 * 300 + 2;
  const before = (await commandCalls(redis.port)).hgetall ?? 0;
  // Proving an absence: two and a half snapshot periods with nobody watching (a build already under way when the
  // client left may still finish: at most one snapshot's reads).
  await new Promise((r) => setTimeout(r, 2_500));
  const after = (await commandCalls(redis.port)).hgetall ?? 0;
  assert.ok(after - before <= perSnapshot, `${after - before} HGETALLs after the client left`);
});
