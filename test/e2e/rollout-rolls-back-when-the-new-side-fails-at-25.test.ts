import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { routesFile, startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { admin, ADMIN_TOKEN, requestCounts, waitFor } from '../support/migration';
import { startRedis, type RedisServer } from '../support/redis';
import {
  backgroundLoad,
  decisionLines,
  metric,
  rolloutOf,
  serverErrors,
  twinUpstream,
  type RolloutView,
  type TwinUpstream,
} from '../support/rollout-load';

let redis: RedisServer;
let legacy: TwinUpstream;
let fresh: TwinUpstream;
let gw: RunningGateway;
let newStatus = 200;

const PATH = '/api/v1/reports/q';
const MIN_REQUESTS = 20;
const MAX_ERROR_RATE = 0.05;
const WIDTH = 6;

before(async () => {
  redis = await startRedis();
  legacy = await twinUpstream('legacy', { delayMs: () => 5 });
  fresh = await twinUpstream('new', { delayMs: () => 5, status: () => newStatus });
  // step_interval_s 3, not 2: the test turns the new side bad as soon as it sees step 25, and on a loaded machine
  // that can take a moment; a longer step keeps the judge from advancing on the healthy second before it.
  const yaml = `
routes:
  - id: reports
    path: /api/v1/reports/*
    target: ${fresh.url}
    fallback: true
    shadow: { to: new, sample: 1 }
    rollout:
      steps: [0, 25, 100]
      step_interval_s: 3
      min_requests: ${MIN_REQUESTS}
      gates: { max_error_rate: ${MAX_ERROR_RATE}, max_latency_ratio: 3, max_diff_rate: 0.05 }
      on_failure: rollback
`;
  gw = await startGateway({
    LEGACY_URL: legacy.url,
    ROUTES_FILE: routesFile(yaml),
    RATE_LIMIT: 'off',
    ADMIN_TOKEN,
    REDIS_URL: redis.url,
    ROLLOUT_EVALUATION_INTERVAL_MS: '400',
    LOG_LEVEL: 'info',
    ACCESS_LOG: 'false',
  });
  await waitReady(gw);
});
after(async () => {
  await gw?.stop();
  await legacy?.close();
  await fresh?.close();
  await redis?.stop();
});

/** A stored evaluation of step 25 whose evidence already fails the error gate, yet the rollout still runs. */
const missedFailure = (v: RolloutView) =>
  v.state === 'running' &&
  v.step === 1 &&
  v.evidence !== null &&
  v.evidence.requests >= MIN_REQUESTS &&
  v.evidence.error_rate > MAX_ERROR_RATE;

test('the new side answers 503 at step 25: rolled back on max_error_rate at the first evaluation that sees it; no client got a 5xx', async (t) => {
  const load = backgroundLoad(() => [gw.url], PATH, WIDTH, 25);
  const seen: RolloutView[] = [];
  let failingSince: number;
  try {
    assert.equal((await admin(gw.url, 'POST', '/admin/rollouts/reports/start')).status, 200);
    await waitFor(async () => (await rolloutOf(gw.url, 'reports')).step === 1, 20_000, {
      what: 'step 25',
      stepMs: 20,
    });
    newStatus = 503;
    failingSince = Date.now();
    // Every state the judge stores is polled (one per evaluation, 400 ms apart), to catch one that let it pass.
    await waitFor(
      async () => {
        const v: RolloutView = await rolloutOf(gw.url, 'reports');
        seen.push(v);
        return v.state !== 'running';
      },
      15_000,
      { what: 'the rollout to leave running', stepMs: 25, detail: () => JSON.stringify(seen.at(-1), null, 1) },
    );
    // Clients go on being answered after the rollback, by legacy: at most those already in flight reach new.
    const total = () => Object.values(load.seen.statuses).reduce((x, y) => x + y, 0);
    const served = total();
    const newHits = fresh.clientHits();
    await waitFor(() => total() > served + 50, 10_000, { what: '50 more answers after the rollback' });
    assert.ok(fresh.clientHits() - newHits <= WIDTH, `${fresh.clientHits() - newHits} client requests reached new`);
  } finally {
    await load.stop();
  }

  const view = seen.at(-1)!;
  assert.equal(view.state, 'rolled_back', JSON.stringify(view, null, 1));
  assert.equal(view.weight, 0);
  assert.equal(view.in_force.weights?.new, 0);
  assert.equal(view.in_force.side, 'legacy');
  assert.match(view.reason ?? '', /^rolled back: error rate/);
  assert.deepEqual(seen.filter(missedFailure), [], 'no evaluation saw the failing sample without rolling back');
  const rollback = view.decisions[0];
  assert.equal(rollback.decision, 'rollback');
  assert.equal(rollback.gate, 'max_error_rate');
  assert.match(rollback.by, /^judge@/);
  assert.deepEqual([rollback.step, rollback.weight], [1, 25], 'decided at step 25');
  assert.ok(rollback.evidence!.requests >= MIN_REQUESTS, JSON.stringify(rollback.evidence));
  assert.ok(rollback.evidence!.error_rate > MAX_ERROR_RATE, JSON.stringify(rollback.evidence));
  // Evidence lands ~3 s after the traffic (one-second buckets, read 2 s late); a bound, with room for a busy machine.
  const lag = Date.parse(rollback.at) - failingSince;
  assert.ok(lag < 8_000, `rolled back ${lag} ms after the new side began to fail`);
  t.diagnostic(`rolled back ${lag} ms after the new side began to fail; ${seen.length} views polled`);

  assert.equal(serverErrors(load.seen), 0, `no 5xx reached a client: ${JSON.stringify(load.seen)}`);
  const counts = await requestCounts(gw.url, 'reports');
  assert.ok((counts['fallback 200'] ?? 0) > 0, `legacy answered for the failing new side: ${JSON.stringify(counts)}`);
  assert.equal(counts['upstream 503'], undefined, JSON.stringify(counts));

  await assertLoggedAndCounted(rollback.detail!);
});

async function assertLoggedAndCounted(detail: string): Promise<void> {
  const lines = decisionLines(gw.child).filter(
    (l) => l.rollout.route === 'reports' && l.rollout.decision === 'rollback',
  );
  assert.equal(lines.length, 1, gw.child.stdout().slice(-3000));
  const [line] = lines;
  assert.equal(
    line.msg,
    `rollout reports: rollback by ${line.rollout.by} at step 1 (weight 25) (${detail}); now rolled_back, weight 0`,
  );
  assert.match(detail, /^error rate \d+\.\d\d% > 5\.00%$/);
  assert.equal(line.rollout.gate, 'max_error_rate');
  assert.equal(line.rollout.state, 'rolled_back');
  assert.ok(line.rollout.evidence.error_rate > MAX_ERROR_RATE);

  assert.equal(await metric(gw.url, 'gateway_rollout_weight', 'route="reports"'), 0);
  assert.equal(await metric(gw.url, 'gateway_rollout_state', 'route="reports",state="rolled_back"'), 1);
  assert.equal(await metric(gw.url, 'gateway_rollout_state', 'route="reports",state="running"'), 0);
  assert.equal(await metric(gw.url, 'gateway_rollout_decisions_total', 'route="reports",decision="rollback"'), 1);
}
