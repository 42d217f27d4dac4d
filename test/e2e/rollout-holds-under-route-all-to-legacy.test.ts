import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { ADMIN_TOKEN, requestCounts, sideUpstream, waitFor } from '../support/migration';
import { startRedis, type RedisServer } from '../support/redis';
import {
  backgroundLoad,
  decisionLines,
  metric,
  rolloutAction,
  rolloutOf,
  routeOf,
  type Load,
} from '../support/rollout-load';

// Issue 20: "ROUTE_ALL_TO_LEGACY and a route's rollback stay floors: a rollout never undoes them", and in "Done
// when": ROUTE_ALL_TO_LEGACY=true wins over a rollout. A started rollout's weight would send a quarter of the
// users to a healthy new side and advance after 2 s; under the floor nobody goes there and the judge holds.

let redis: RedisServer;
let legacy: CountingUpstream;
let fresh: CountingUpstream;
let gw: RunningGateway;
const STEP_INTERVAL_S = 2;
const MIN_REQUESTS = 20;

before(async () => {
  redis = await startRedis();
  legacy = await sideUpstream('legacy');
  fresh = await sideUpstream('new');
  const yaml = `
routes:
  - id: reports
    path: /api/v1/reports/*
    target: ${fresh.url}
    rollout:
      steps: [25, 100]
      step_interval_s: ${STEP_INTERVAL_S}
      min_requests: ${MIN_REQUESTS}
      gates: {max_error_rate: 0.05, max_latency_ratio: 3}
      on_failure: rollback
`;
  gw = await startGateway({
    LEGACY_URL: legacy.url,
    ROUTES_FILE: routesFile(yaml),
    RATE_LIMIT: 'off',
    ADMIN_TOKEN,
    REDIS_URL: redis.url,
    ROUTE_ALL_TO_LEGACY: 'true',
    ROLLOUT_EVALUATION_INTERVAL_MS: '300',
    LOG_LEVEL: 'info',
  });
  await waitReady(gw);
});
after(async () => {
  await gw?.stop();
  await legacy?.close();
  await fresh?.close();
  await redis?.stop();
});

const holds = () => metric(gw.url, 'gateway_rollout_decisions_total', 'route="reports",decision="hold"');

test('ROUTE_ALL_TO_LEGACY=true: a started rollout serves legacy only and its judge holds on the floor instead of advancing', async () => {
  let load: Load | undefined;
  try {
    load = backgroundLoad(() => [gw.url], '/api/v1/reports/q');
    const started = await rolloutAction(gw.url, 'reports', 'start');
    assert.equal(started.state, 'running');
    assert.equal(started.weight, 25);
    assert.equal(started.in_force.side, 'legacy (route_all_to_legacy)');
    const startedAt = Date.parse(started.step_started_at);

    await waitFor(
      async () => (await rolloutOf(gw.url, 'reports')).decisions.some((d: any) => d.decision === 'hold'),
      10_000,
      { what: "the judge's first decision" },
    );
    const held = (await rolloutOf(gw.url, 'reports')).decisions[0];
    assert.equal(held.decision, 'hold');
    assert.match(held.by, /^judge@/);
    assert.match(held.detail, /route_all_to_legacy/);
    const line = decisionLines(gw.child).find((l) => l.rollout.decision === 'hold');
    assert.match(
      line?.msg,
      /^rollout reports: hold by judge@\S+ at step 0 \(weight 25\) \(route_all_to_legacy is in force\); now running/,
    );

    // Without the floor this is where it would advance: the step has lasted its interval, and the judge has read
    // enough traffic of it (legacy's, here). Two more evaluations after that, still held.
    await waitFor(
      async () => {
        const v = await rolloutOf(gw.url, 'reports');
        return Date.now() - startedAt > STEP_INTERVAL_S * 1000 && v.evidence.legacy_requests >= MIN_REQUESTS * 4;
      },
      15_000,
      { what: 'a step interval and its traffic judged' },
    );
    const holdsThen = await holds();
    await waitFor(async () => (await holds()) >= holdsThen + 2, 5_000, { what: 'two more evaluations' });
    const view = await rolloutOf(gw.url, 'reports');
    assert.equal(view.state, 'running');
    assert.equal(view.step, 0);
    assert.equal(view.evidence.requests, 0, 'the new side served nobody');
    assert.deepEqual(
      view.decisions.map((d: { decision: string }) => d.decision),
      ['hold', 'start'],
      'one hold logged (a hold is logged when its reason changes), never an advance',
    );
    assert.equal(await metric(gw.url, 'gateway_rollout_decisions_total', 'route="reports",decision="advance"'), 0);
    assert.equal((await routeOf(gw.url, 'reports')).in_force, 'legacy (route_all_to_legacy)');
  } finally {
    await load?.stop();
  }
  assert.deepEqual(Object.keys(load.seen.statuses), ['200'], JSON.stringify(load.seen));
  assert.deepEqual(Object.keys(load.seen.sides), ['legacy'], JSON.stringify(load.seen));
  assert.equal(fresh.hits(), 0, 'the new side got no request');
  const counts = await requestCounts(gw.url, 'reports');
  const served = Object.keys(counts).filter((k) => counts[k] > 0);
  assert.deepEqual(served, ['legacy 200'], `gateway_requests_total by target: ${JSON.stringify(counts)}`);
});
