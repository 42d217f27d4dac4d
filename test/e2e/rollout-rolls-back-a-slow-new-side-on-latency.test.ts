import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { routesFile, startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { admin, ADMIN_TOKEN, waitFor } from '../support/migration';
import {
  backgroundLoad,
  decisionLines,
  metric,
  rolloutOf,
  serverErrors,
  twinUpstream,
  type EvidenceView,
  type RolloutView,
  type TwinUpstream,
} from '../support/rollout-load';

let legacy: TwinUpstream;
let fresh: TwinUpstream;
let gw: RunningGateway;

const MIN_REQUESTS = 20;
const MAX_LATENCY_RATIO = 1.5;

before(async () => {
  // The new side is 5x slower than legacy at the upstream. The gateway's own time is added to both sides' measure
  // (tens of ms on a busy shared machine), which brings the measured ratio down to 2-3x: still above the gate.
  legacy = await twinUpstream('legacy', { delayMs: () => 20 });
  fresh = await twinUpstream('new', { delayMs: () => 100 });
  // Two routes to the same slow side: `shadowed` begins at step 0 (judged on its shadow copies' time), `split`
  // at 25 (judged on the client requests the new side served). Only latency is gated.
  const rollout = (steps: string) => `
    rollout:
      steps: ${steps}
      step_interval_s: 2
      min_requests: ${MIN_REQUESTS}
      gates: { max_latency_ratio: ${MAX_LATENCY_RATIO} }
      on_failure: rollback`;
  const yaml = `
routes:
  - id: shadowed
    path: /api/v1/reports/*
    target: ${fresh.url}
    shadow: { to: new, sample: 1 }${rollout('[0, 25, 100]')}
  - id: split
    path: /api/v1/orders/*
    target: ${fresh.url}${rollout('[25, 100]')}
`;
  // No REDIS_URL: one instance on the in-memory store runs the same evidence, lease and state code.
  gw = await startGateway({
    LEGACY_URL: legacy.url,
    ROUTES_FILE: routesFile(yaml),
    RATE_LIMIT: 'off',
    ADMIN_TOKEN,
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
});

const settled = (v: RolloutView) => v.state !== 'running';

test('a new side several times slower than legacy is rolled back on max_latency_ratio, at step 0 (shadow) and at 25 (clients)', async (t) => {
  const loads = ['/api/v1/reports/q', '/api/v1/orders/q'].map((path) => backgroundLoad(() => [gw.url], path, 3, 25));
  try {
    for (const route of ['shadowed', 'split'])
      assert.equal((await admin(gw.url, 'POST', `/admin/rollouts/${route}/start`)).status, 200);
    await waitFor(
      async () => settled(await rolloutOf(gw.url, 'shadowed')) && settled(await rolloutOf(gw.url, 'split')),
      25_000,
      {
        what: 'both rollouts to leave running',
        stepMs: 100,
        detail: async () => JSON.stringify((await admin(gw.url, 'GET', '/admin/rollouts')).json(), null, 1),
      },
    );
  } finally {
    await Promise.all(loads.map((l) => l.stop()));
  }
  for (const l of loads) assert.equal(serverErrors(l.seen), 0, JSON.stringify(l.seen));

  for (const [route, step, weight] of [
    ['shadowed', 0, 0],
    ['split', 0, 25],
  ] as const) {
    const ev = await assertRolledBackOnLatency(route, step, weight);
    t.diagnostic(`${route}: new p95 ${ev.p95_ms} ms, legacy p95 ${ev.legacy_p95_ms} ms over ${ev.requests} requests`);
  }
});

async function assertRolledBackOnLatency(route: string, step: number, weight: number): Promise<EvidenceView> {
  const view: RolloutView = await rolloutOf(gw.url, route);
  const context = JSON.stringify(view, null, 1);
  assert.equal(view.state, 'rolled_back', context);
  assert.equal(view.weight, 0);
  assert.equal(view.in_force.weights?.new, 0);
  const d = view.decisions[0];
  assert.equal(d.decision, 'rollback', context);
  assert.equal(d.gate, 'max_latency_ratio', context);
  assert.deepEqual([d.step, d.weight], [step, weight], `${route}: decided at the first step`);
  const ev = d.evidence!;
  assert.ok(ev.requests >= MIN_REQUESTS, context);
  assert.ok(ev.p95_ms! > MAX_LATENCY_RATIO * ev.legacy_p95_ms!, `${route}: ${JSON.stringify(ev)}`);
  assert.equal(ev.errors, 0, 'slow, not failing');
  assert.match(d.detail!, /^p95 [\d.]+ ms is [\d.]+x legacy's [\d.]+ ms > 1\.5x$/);
  assert.match(view.reason!, /^rolled back: p95 /);

  const lines = decisionLines(gw.child).filter((l) => l.rollout.route === route && l.rollout.decision === 'rollback');
  assert.equal(lines.length, 1, gw.child.stdout().slice(-3000));
  assert.equal(lines[0].rollout.gate, 'max_latency_ratio');
  assert.match(
    lines[0].msg,
    new RegExp(`^rollout ${route}: rollback by judge@\\S+ at step ${step} \\(weight ${weight}\\)`),
  );
  assert.equal(await metric(gw.url, 'gateway_rollout_state', `route="${route}",state="rolled_back"`), 1);
  assert.equal(await metric(gw.url, 'gateway_rollout_decisions_total', `route="${route}",decision="rollback"`), 1);
  return ev;
}
