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
  newSide,
  rolloutAction,
  rolloutOf,
  type Load,
} from '../support/rollout-load';

// Issue 20, "Done when": shadow diffs above max_diff_rate at step 0 roll the rollout back, and no user is ever
// sent to the new side. The new side answers `{side: "new"}` where legacy answers `{side: "legacy"}`: every
// comparison is a real difference (`n` differs between two legacy answers too, so the noise filter drops it).

let redis: RedisServer;
let legacy: CountingUpstream;
let fresh: Awaited<ReturnType<typeof newSide>>;
let gw: RunningGateway;

before(async () => {
  redis = await startRedis();
  legacy = await sideUpstream('legacy');
  fresh = await newSide();
  const yaml = `
routes:
  - id: reports
    path: /api/v1/reports/*
    target: ${fresh.url}
    shadow: {to: new, sample: 1}
    rollout:
      steps: [0, 25, 100]
      step_interval_s: 2
      min_requests: 20
      gates: {max_error_rate: 0.05, max_latency_ratio: 3, max_diff_rate: 0.05}
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

test('diffs above max_diff_rate at step 0: rolled back at step 0 by gate max_diff_rate; no client request reached the new side', async () => {
  let load: Load | undefined;
  try {
    load = backgroundLoad(() => [gw.url], '/api/v1/reports/q');
    const started = await rolloutAction(gw.url, 'reports', 'start');
    assert.equal(started.state, 'running');
    assert.equal(started.weight, 0, 'step 0 is shadow only');

    await waitFor(async () => (await rolloutOf(gw.url, 'reports')).state !== 'running', 20_000, {
      what: 'the rollout to leave running',
      detail: async () => JSON.stringify(await rolloutOf(gw.url, 'reports')),
    });
    const view = await rolloutOf(gw.url, 'reports');
    assert.equal(view.state, 'rolled_back', JSON.stringify(view));
    assert.equal(view.step, 0, 'it never left step 0');
    assert.equal(view.weight, 0);
    assert.equal(view.in_force.weights.new, 0);
    assert.match(view.reason, /diff rate/);
    const rollback = view.decisions[0];
    assert.equal(rollback.decision, 'rollback');
    assert.equal(rollback.gate, 'max_diff_rate');
    assert.equal(rollback.step, 0);
    assert.match(rollback.by, /^judge@/);
    assert.ok(rollback.evidence.compared >= 20, `judged on ${rollback.evidence.compared} comparisons`);
    assert.ok(rollback.evidence.diff_rate > 0.05, JSON.stringify(rollback.evidence));
    assert.ok(
      view.decisions.every((d: { decision: string }) => d.decision !== 'advance'),
      JSON.stringify(view.decisions),
    );

    // The operator's other views say the same: the JSON log line and the metrics.
    await waitFor(() => decisionLines(gw.child).some((l) => l.rollout.decision === 'rollback'), 5_000);
    const line = decisionLines(gw.child).find((l) => l.rollout.decision === 'rollback');
    assert.match(
      line.msg,
      /^rollout reports: rollback by judge@\S+ at step 0 \(weight 0\) \(diff rate .*\); now rolled_back/,
    );
    assert.equal(line.rollout.gate, 'max_diff_rate');
    assert.equal(line.rollout.state, 'rolled_back');
    assert.ok(line.rollout.evidence.diff_rate > 0.05);
    assert.equal(await metric(gw.url, 'gateway_rollout_decisions_total', 'route="reports",decision="rollback"'), 1);
    assert.equal(await metric(gw.url, 'gateway_rollout_decisions_total', 'route="reports",decision="advance"'), 0);
    assert.equal(await metric(gw.url, 'gateway_rollout_state', 'route="reports",state="rolled_back"'), 1);
    assert.equal(await metric(gw.url, 'gateway_rollout_weight', 'route="reports"'), 0);

    // Traffic goes on after the rollback, still all on legacy.
    const atRollback = load.seen.statuses[200] ?? 0;
    await waitFor(() => (load!.seen.statuses[200] ?? 0) >= atRollback + 50, 10_000);
  } finally {
    await load?.stop();
  }
  const seen = load.seen;
  assert.deepEqual(Object.keys(seen.statuses), ['200'], JSON.stringify(seen));
  assert.equal(seen.failed, 0);
  assert.deepEqual(Object.keys(seen.sides), ['legacy'], `every client was answered by legacy: ${JSON.stringify(seen)}`);
  // The new side saw shadow copies only: every request it got carried x-figway-shadow.
  assert.ok(fresh.shadowCopies() >= 20, `${fresh.shadowCopies()} shadow copies`);
  assert.equal(fresh.clientRequests(), 0, 'a client request reached the new side');
  const counts = await requestCounts(gw.url, 'reports');
  assert.equal(
    Object.entries(counts)
      .filter(([k]) => k.startsWith('upstream '))
      .reduce((n, [, v]) => n + v, 0),
    0,
    `gateway_requests_total by target: ${JSON.stringify(counts)}`,
  );
  assert.ok((counts['legacy 200'] ?? 0) >= 50, JSON.stringify(counts));
});
