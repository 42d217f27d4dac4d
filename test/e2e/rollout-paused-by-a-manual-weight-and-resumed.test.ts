import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bucketOf } from '../../src/migration/bucket';
import type { CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { admin, ADMIN_TOKEN, sideUpstream, waitFor } from '../support/migration';
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

// Issue 20, "Done when": a manual weight change pauses the rollout; `resume` continues. The operator's weight is
// in force while paused, the rollout's again after resume, and the judge goes on from the step it was at.

let redis: RedisServer;
let legacy: CountingUpstream;
let fresh: CountingUpstream;
let gw: RunningGateway;
const STEP_INTERVAL_S = 3;

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
      steps: [25, 50, 100]
      step_interval_s: ${STEP_INTERVAL_S}
      min_requests: 20
      gates: {max_error_rate: 0.05, max_latency_ratio: 3}
      on_failure: rollback
`;
  gw = await startGateway({
    LEGACY_URL: legacy.url,
    ROUTES_FILE: routesFile(yaml),
    RATE_LIMIT: 'off',
    ADMIN_TOKEN,
    REDIS_URL: redis.url,
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

/** A `figway_bucket` cookie value whose sticky bucket on the route lies in [fromPercent, toPercent). */
function userBetween(fromPercent: number, toPercent: number): string {
  for (let i = 0; ; i++) {
    const value = `sticky-user-${i}`;
    const bucket = bucketOf('reports', `c:${value}`);
    if (bucket >= fromPercent * 100 && bucket < toPercent * 100) return value;
  }
}

/** The side that answers one user (by its cookie). */
async function sideOf(user: string): Promise<string> {
  const res = await send(`${gw.url}/api/v1/reports/q`, { headers: { cookie: `figway_bucket=${user}` } });
  assert.equal(res.status, 200);
  return res.json().side;
}

test('a manual weight pauses the running rollout with its weight in force; resume puts the rollout weight back and it advances', async () => {
  // New at the rollout's 25, legacy at the operator's 10; and one on legacy until the step of 50.
  const between10and25 = userBetween(10, 25);
  const between25and50 = userBetween(25, 50);
  let load: Load | undefined;
  try {
    load = backgroundLoad(() => [gw.url], '/api/v1/reports/q');
    const started = await rolloutAction(gw.url, 'reports', 'start');
    assert.equal(started.state, 'running');
    assert.deepEqual(started.in_force.weights, { legacy: 75, new: 25, source: 'rollout' });
    assert.equal(await sideOf(between10and25), 'new');

    const put = await admin(gw.url, 'PUT', '/admin/routes/reports', { weights: { legacy: 90, new: 10 } });
    assert.equal(put.status, 200, put.body.toString());
    assert.deepEqual(put.json().weights, { legacy: 90, new: 10, source: 'admin' });
    const paused = await rolloutOf(gw.url, 'reports');
    assert.equal(paused.state, 'paused');
    assert.match(paused.reason, /changed by hand/);
    assert.equal(paused.step, 0);
    assert.equal(paused.weight, 25, "the rollout's own weight, shown beside the one in force");
    assert.deepEqual(paused.in_force.weights, { legacy: 90, new: 10, source: 'admin' });
    assert.deepEqual(
      [paused.decisions[0].decision, paused.decisions[0].by, paused.decisions[0].detail],
      ['pause', 'admin', 'manual weight change'],
    );
    assert.equal(await sideOf(between10and25), 'legacy', "the operator's 10% is in force");
    assert.equal(await metric(gw.url, 'gateway_rollout_state', 'route="reports",state="paused"'), 1);
    const line = decisionLines(gw.child).find((l) => l.rollout.decision === 'pause');
    assert.match(
      line?.msg,
      /^rollout reports: pause by admin at step 0 \(weight 25\) \(manual weight change\); now paused/,
    );

    // Proving an absence: for longer than a step's interval, with traffic, a paused rollout is not judged on.
    const pausedAt = Date.now();
    await waitFor(async () => {
      assert.equal((await rolloutOf(gw.url, 'reports')).state, 'paused');
      return Date.now() - pausedAt > (STEP_INTERVAL_S + 1) * 1000;
    }, 10_000);
    const still = await rolloutOf(gw.url, 'reports');
    assert.equal(still.decisions[0].decision, 'pause', JSON.stringify(still.decisions[0]));
    assert.equal((await routeOf(gw.url, 'reports')).weights.source, 'admin');

    const resumed = await rolloutAction(gw.url, 'reports', 'resume');
    assert.equal(resumed.state, 'running');
    assert.equal(resumed.step, 0, 'resume goes on from the step it was at');
    assert.equal(resumed.reason, null);
    assert.deepEqual(resumed.in_force.weights, { legacy: 75, new: 25, source: 'rollout' });
    assert.deepEqual((await routeOf(gw.url, 'reports')).weights, { legacy: 75, new: 25, source: 'rollout' });
    assert.equal(await sideOf(between10and25), 'new', "the rollout's 25% is in force again");
    assert.equal(await sideOf(between25and50), 'legacy');

    await waitFor(async () => (await rolloutOf(gw.url, 'reports')).step === 1, 20_000, {
      what: 'the resumed rollout to advance',
      detail: async () => JSON.stringify(await rolloutOf(gw.url, 'reports')),
    });
    const advanced = await rolloutOf(gw.url, 'reports');
    assert.equal(advanced.state, 'running');
    assert.equal(advanced.weight, 50);
    const decided = advanced.decisions.find((d: { decision: string }) => d.decision !== 'hold');
    assert.deepEqual([decided.decision, decided.step, decided.weight], ['advance', 0, 25]);
    assert.match(decided.by, /^judge@/);
    assert.deepEqual((await routeOf(gw.url, 'reports')).weights, { legacy: 50, new: 50, source: 'rollout' });
    assert.equal(await sideOf(between10and25), 'new');
    assert.equal(await sideOf(between25and50), 'new');
  } finally {
    await load?.stop();
  }
  assert.deepEqual(Object.keys(load.seen.statuses), ['200'], JSON.stringify(load.seen));
});
