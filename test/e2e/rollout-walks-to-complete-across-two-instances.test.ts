import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { admin, ADMIN_TOKEN, inBatches, waitFor } from '../support/migration';
import { startRedis, type RedisServer } from '../support/redis';
import {
  backgroundLoad,
  decisionLines,
  metric,
  rolloutOf,
  serverErrors,
  StickyClient,
  twinUpstream,
  type RolloutView,
} from '../support/rollout-load';

let redis: RedisServer;
let legacy: CountingUpstream;
let fresh: CountingUpstream;
let a: RunningGateway;
let b: RunningGateway;

const PATH = '/api/v1/reports/q';
const MIN_REQUESTS = 20;

before(async () => {
  redis = await startRedis();
  // The same small delay on both sides: the latency gate compares like with like, not two sub-millisecond noises.
  legacy = await twinUpstream('legacy', { delayMs: () => 5 });
  fresh = await twinUpstream('new', { delayMs: () => 5 });
  const yaml = `
routes:
  - id: reports
    path: /api/v1/reports/*
    target: ${fresh.url}
    shadow: { to: new, sample: 1 }
    rollout:
      steps: [0, 25, 100]
      step_interval_s: 2
      min_requests: ${MIN_REQUESTS}
      gates: { max_error_rate: 0.05, max_latency_ratio: 3, max_diff_rate: 0.05 }
      on_failure: rollback
`;
  const env = {
    LEGACY_URL: legacy.url,
    ROUTES_FILE: routesFile(yaml),
    RATE_LIMIT: 'off',
    ADMIN_TOKEN,
    REDIS_URL: redis.url,
    ROLLOUT_EVALUATION_INTERVAL_MS: '400',
    LOG_LEVEL: 'info',
    ACCESS_LOG: 'false',
  };
  [a, b] = await Promise.all([startGateway(env), startGateway(env)]);
  await Promise.all([waitReady(a), waitReady(b)]);
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await legacy?.close();
  await fresh?.close();
  await redis?.stop();
});

/** The rollout's weight is in force on both instances (each holds the state it received). */
async function inForceOnBoth(weight: number): Promise<boolean> {
  const views: RolloutView[] = await Promise.all([rolloutOf(a.url, 'reports'), rolloutOf(b.url, 'reports')]);
  return views.every((v) => v.in_force.weights?.new === weight);
}

/** Each client asks once, alternating instances; returns the side each one got. */
async function ask(clients: StickyClient[]): Promise<string[]> {
  await inBatches(clients, 6, async (c) => c.get(`${(c.sides.length % 2 ? b : a).url}${PATH}`));
  return clients.map((c) => c.sides.at(-1)!);
}

test('a healthy new side: the rollout walks 0 -> 25 -> 100 and completes; evidence, metrics and sticky users on both instances', async (t) => {
  const clients = Array.from({ length: 60 }, () => new StickyClient());
  assert.deepEqual(new Set(await ask(clients)), new Set(['legacy']), 'before the start every user is on legacy');
  // At weight 0 nobody is split, so no cookie is set yet: each client gets its bucket on its first split answer.
  assert.ok(
    clients.every((c) => !c.cookie),
    'no figway_bucket cookie at weight 0',
  );

  const load = backgroundLoad(() => [a.url, b.url], PATH, 6, 25);
  const moved: StickyClient[] = [];
  let sticky = Promise.resolve();
  let stickyRunning = true;
  try {
    const started = await admin(a.url, 'POST', '/admin/rollouts/reports/start');
    assert.equal(started.status, 200, started.body.toString());
    assert.equal(started.json().state, 'running');

    // Step 25: the clients whose bucket is in the first 25% reach the new side, on either instance.
    await waitFor(() => inForceOnBoth(25), 20_000, { what: 'weight 25 in force on A and B', stepMs: 50 });
    const sides = await ask(clients);
    assert.ok(
      clients.every((c) => c.cookie),
      'each client got its figway_bucket cookie at 25',
    );
    moved.push(...clients.filter((_, i) => sides[i] === 'new'));
    assert.ok(moved.length > 0 && moved.length < clients.length, `${moved.length} of 60 on the new side at 25`);
    // They keep asking while the weight rises to 100, alternating instances.
    sticky = (async () => {
      while (stickyRunning) {
        await ask(moved);
        // Pacing, not waiting for an event: the background load, not these users, should make up the traffic.
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    await waitFor(async () => (await rolloutOf(b.url, 'reports')).state === 'complete', 25_000, {
      what: 'state complete',
      stepMs: 100,
      detail: async () => JSON.stringify(await rolloutOf(b.url, 'reports'), null, 1),
    });
    stickyRunning = false;
    await sticky;
    await ask(clients);
  } finally {
    stickyRunning = false;
    await sticky;
    await load.stop();
  }

  t.diagnostic(`${moved.length} of 60 users on new at 25; each asked ${moved[0].sides.length - 1} times from then on`);
  for (const c of moved) assert.deepEqual(new Set(c.sides.slice(1)), new Set(['new']), `sticky user: ${c.sides}`);
  assert.deepEqual(new Set(clients.map((c) => c.sides.at(-1))), new Set(['new']), 'at 100 every user is on new');
  assert.equal(serverErrors(load.seen), 0, `no 5xx reached a client: ${JSON.stringify(load.seen)}`);
  const answered = Object.values(load.seen.statuses).reduce((x, y) => x + y, 0);
  assert.ok(answered > 100, `background load ran: ${answered} requests`);

  assertCompleted(await rolloutOf(a.url, 'reports'));
  await assertMetrics();
  assertLogged();
});

function assertCompleted(view: RolloutView): void {
  assert.equal(view.state, 'complete');
  assert.equal(view.weight, 100);
  assert.equal(view.legacy_retirable, true);
  assert.equal(view.in_force.side, 'new');
  const judged = view.decisions.filter((d) => d.decision !== 'hold');
  assert.deepEqual(
    judged.map((d) => [d.decision, d.step, d.weight]),
    [
      ['complete', 2, 100],
      ['advance', 1, 25],
      ['advance', 0, 0],
      ['start', 0, 0],
    ],
    JSON.stringify(view.decisions, null, 1),
  );
  const [complete, at25, at0] = judged;
  for (const d of [complete, at25, at0]) {
    assert.match(d.by, /^judge@/);
    const ev = d.evidence!;
    assert.ok(ev.requests >= MIN_REQUESTS, `step ${d.step} judged ${ev.requests} requests`);
    assert.equal(ev.errors, 0, `step ${d.step}: ${JSON.stringify(ev)}`);
    assert.ok(ev.p95_ms !== null && ev.legacy_p95_ms !== null, `step ${d.step} has both p95: ${JSON.stringify(ev)}`);
  }
  // Step 0 is judged on shadow copies, all compared and the same; 25 on both sides' requests; 100 on new alone.
  assert.ok(at0.evidence!.compared >= MIN_REQUESTS && at0.evidence!.diff === 0, JSON.stringify(at0.evidence));
  assert.ok(at0.evidence!.legacy_requests >= MIN_REQUESTS, JSON.stringify(at0.evidence));
  assert.ok(at25.evidence!.legacy_requests > 0, `legacy served at 25 too: ${JSON.stringify(at25.evidence)}`);
  // (A request decided just before the switch may finish in the step's first second: hence not exactly 0.)
  assert.ok(complete.evidence!.legacy_requests * 10 < complete.evidence!.requests, JSON.stringify(complete.evidence));
}

/** Both instances show the final weight and state; the decisions are counted once, where they were taken. */
async function assertMetrics(): Promise<void> {
  const decisions = { advance: 0, complete: 0, rollback: 0 };
  for (const gw of [a, b]) {
    assert.equal(await metric(gw.url, 'gateway_rollout_weight', 'route="reports"'), 100, gw.url);
    for (const state of ['idle', 'running', 'paused', 'rolled_back', 'complete'])
      assert.equal(
        await metric(gw.url, 'gateway_rollout_state', `route="reports",state="${state}"`),
        state === 'complete' ? 1 : 0,
        `${gw.url} state ${state}`,
      );
    for (const d of Object.keys(decisions) as (keyof typeof decisions)[])
      decisions[d] += await metric(gw.url, 'gateway_rollout_decisions_total', `route="reports",decision="${d}"`);
  }
  assert.deepEqual(decisions, { advance: 2, complete: 1, rollback: 0 });
}

/** The completion is one JSON line on the deciding instance, saying legacy's path for the route can be retired. */
function assertLogged(): void {
  const lines = [...decisionLines(a.child), ...decisionLines(b.child)].filter((l) => l.rollout.route === 'reports');
  const complete = lines.filter((l) => l.rollout.decision === 'complete');
  assert.equal(complete.length, 1, lines.map((l) => l.msg).join('\n'));
  assert.match(complete[0].msg, /^rollout reports: complete by judge@\S+ at step 2 \(weight 100\); now complete/);
  assert.match(complete[0].msg, /can be retired/);
  assert.equal(complete[0].rollout.state, 'complete');
  assert.equal((complete[0].rollout.evidence as { errors: number }).errors, 0);
  assert.equal(lines.filter((l) => l.rollout.decision === 'advance').length, 2);
}
