import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { ADMIN_TOKEN, sideUpstream, waitFor } from '../support/migration';
import { startRedis, type RedisServer } from '../support/redis';
import { backgroundLoad, decisionLines, rolloutAction, rolloutOf, type Load } from '../support/rollout-load';

// Issue 20, "Done when": kill the instance holding the judge lease mid-rollout, the other continues from the same
// step. Two instances share one Redis; the judge's lease lasts max(2 s, 3 intervals) = 2 s here.

let redis: RedisServer;
let legacy: CountingUpstream;
let fresh: CountingUpstream;
let a: RunningGateway;
let b: RunningGateway;

before(async () => {
  redis = await startRedis();
  // Both sides answer alike (`n` differs between two answers of one side too, so it is noise): no diffs.
  legacy = await sideUpstream('same');
  fresh = await sideUpstream('same');
  const yaml = `
routes:
  - id: reports
    path: /api/v1/reports/*
    target: ${fresh.url}
    shadow: {to: new, sample: 1}
    rollout:
      steps: [0, 25, 50, 100]
      step_interval_s: 2
      min_requests: 20
      gates: {max_error_rate: 0.05, max_latency_ratio: 3, max_diff_rate: 0.05}
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

/** `judge@<hostname>-<pid>-<hex>` (src/rollout/rollout.service.ts): the gateway process it names. */
function judgeProcess(by: string): RunningGateway {
  const pid = Number(/^judge@.+-(\d+)-[0-9a-f]+$/.exec(by)?.[1]);
  const gw = [a, b].find((g) => g.child.proc.pid === pid);
  assert.ok(gw, `no instance has the pid in ${by}`);
  return gw;
}

test('SIGKILL the judging instance at step 1: the other takes the lease and goes on from step 1 to complete', async () => {
  let load: Load | undefined;
  const alive = new Set([a.url, b.url]);
  try {
    load = backgroundLoad(() => [...alive], '/api/v1/reports/q');
    await rolloutAction(a.url, 'reports', 'start');
    await waitFor(async () => (await rolloutOf(b.url, 'reports')).step === 1, 20_000, {
      what: 'the advance to step 1',
      detail: async () => JSON.stringify(await rolloutOf(b.url, 'reports')),
    });
    const before = await rolloutOf(b.url, 'reports');
    assert.equal(before.state, 'running');
    assert.equal(before.weight, 25);
    const advance = before.decisions[0];
    assert.equal(advance.decision, 'advance');
    const judge = judgeProcess(advance.by);
    const survivor = judge === a ? b : a;
    assert.match(judge.child.stdout(), /rollout judge: this instance judges/);
    assert.doesNotMatch(survivor.child.stdout(), /rollout judge: this instance judges/);

    // Killed mid-step: step 1 lasts at least step_interval_s (2 s) from its start, and it began just now.
    alive.delete(judge.url);
    await judge.stop('SIGKILL');
    const killedAt = Date.now();

    await waitFor(() => /rollout judge: this instance judges/.test(survivor.child.stdout()), 10_000, {
      what: 'the survivor taking the lease',
    });
    await waitFor(async () => (await rolloutOf(survivor.url, 'reports')).state === 'complete', 30_000, {
      what: 'the rollout to complete',
      detail: async () => JSON.stringify(await rolloutOf(survivor.url, 'reports')),
    });
    const done = await rolloutOf(survivor.url, 'reports');
    assert.equal(done.weight, 100);
    assert.equal(done.legacy_retirable, true);
    assert.deepEqual(done.in_force.weights, { legacy: 0, new: 100, source: 'rollout' });

    // What was decided after the kill, oldest first (the view lists the newest first).
    const timeline = done.decisions as { at: string; decision: string; by: string; step: number; weight: number }[];
    const after = timeline.filter((d) => Date.parse(d.at) >= killedAt).reverse();
    assert.ok(after.length >= 3, JSON.stringify(timeline));
    assert.ok(
      after.every((d) => d.by === after[0].by && d.by !== advance.by),
      `every later decision is the survivor's judge's: ${JSON.stringify(after)}`,
    );
    assert.equal(judgeProcess(after[0].by), survivor);
    assert.ok(
      after.every((d) => d.decision !== 'start' && d.step >= 1),
      `nothing went back to step 0: ${JSON.stringify(after)}`,
    );
    assert.deepEqual(
      after.filter((d) => d.decision !== 'hold').map((d) => [d.decision, d.step, d.weight]),
      [
        ['advance', 1, 25],
        ['advance', 2, 50],
        ['complete', 3, 100],
      ],
      'the survivor went on from step 1 (weight 25), where the killed judge left it',
    );
    // The survivor's log has those decisions, and no other judge decision of its own before them.
    const lines = decisionLines(survivor.child).map((l) => l.rollout);
    assert.deepEqual(
      lines.filter((d) => d.by.startsWith('judge@') && d.decision !== 'hold').map((d) => [d.decision, d.step]),
      [
        ['advance', 1],
        ['advance', 2],
        ['complete', 3],
      ],
    );
    assert.match(
      decisionLines(survivor.child).at(-1).msg,
      /^rollout reports: complete by judge@\S+ at step 3 \(weight 100\); now complete, weight 100; .*can be retired/,
    );
  } finally {
    await load?.stop();
  }
  assert.equal(load.seen.statuses[500] ?? 0, 0, JSON.stringify(load.seen));
  assert.ok(load.seen.sides.same > 0);
});
