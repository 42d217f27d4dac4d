import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RolloutSpec } from '../config';
import { GatewayError } from '../errors/gateway-error';
import { emptyEvidence, recordInto, summarize } from './evidence';
import type { Gate, HoldReason, Verdict } from './judge';
import {
  applyAction,
  applyVerdict,
  idleState,
  pauseForManualWeight,
  ROLLOUT_ACTIONS,
  ROLLOUT_STATES,
  rolloutStateSchema,
  type RolloutAction,
  type RolloutState,
  type RolloutStateName,
} from './rollout-state';

const spec: RolloutSpec = {
  steps: [0, 1, 5, 25, 50, 100],
  step_interval_s: 10,
  min_requests: 100,
  gates: { max_error_rate: 0.01 },
  on_failure: 'rollback',
};
const T0 = 1_800_000_000_000;
const summary = summarize(emptyEvidence(), 'new', undefined);
const BY = 'judge@test';

const advance: Verdict = { decision: 'advance', summary };
const complete: Verdict = { decision: 'complete', summary };
const rollback = (gate: Gate = 'max_error_rate', detail = 'error rate 5.00% > 1.00%'): Verdict => ({
  decision: 'rollback',
  gate,
  detail,
  summary,
});
const hold = (reason: HoldReason, detail = `${reason} detail`, gate?: Gate): Verdict => ({
  decision: 'hold',
  reason,
  gate,
  detail,
  summary,
});

/** Some evidence and a later cursor, as the judge stores them while a step runs. */
function withEvidence(s: RolloutState, now: number): RolloutState {
  const evidence = emptyEvidence();
  recordInto(evidence.new, 12, true);
  return { ...s, evidence, cursor: Math.floor(now / 1000) - 2 };
}

/** Each state reached the way it is in use: running and paused at step 2 (weight 5), after some evidence. */
function stateIn(name: RolloutStateName): RolloutState {
  const idle = idleState('reports');
  if (name === 'idle') return idle;
  let s = applyAction(idle, spec, 'start', T0);
  s = applyVerdict(withEvidence(s, T0 + 20_000), spec, advance, BY, T0 + 20_000);
  s = applyVerdict(withEvidence(s, T0 + 40_000), spec, advance, BY, T0 + 40_000);
  s = withEvidence(s, T0 + 50_000);
  if (name === 'running') return s;
  if (name === 'paused') return applyAction(s, spec, 'pause', T0 + 50_000);
  if (name === 'rolled_back') return applyVerdict(s, spec, rollback(), BY, T0 + 50_000);
  return { ...applyVerdict(s, spec, complete, BY, T0 + 50_000), step: 5 };
}

/** What each action does from each state: the state, step and weight after it, or refused. */
const EXPECTED: Record<RolloutAction, Record<RolloutStateName, [RolloutStateName, number, number] | 'refused'>> = {
  start: {
    idle: ['running', 0, 0],
    running: 'refused',
    paused: ['running', 0, 0],
    rolled_back: ['running', 0, 0],
    complete: ['running', 0, 0],
  },
  pause: {
    idle: 'refused',
    running: ['paused', 2, 5],
    paused: 'refused',
    rolled_back: 'refused',
    complete: 'refused',
  },
  resume: {
    idle: 'refused',
    running: 'refused',
    paused: ['running', 2, 5],
    rolled_back: 'refused',
    complete: 'refused',
  },
  promote: {
    idle: 'refused',
    running: ['running', 3, 25],
    paused: ['running', 3, 25],
    rolled_back: 'refused',
    complete: 'refused',
  },
  abort: {
    idle: 'refused',
    running: ['paused', 2, 0],
    paused: ['paused', 2, 0],
    rolled_back: 'refused',
    complete: ['paused', 5, 0],
  },
};

test('every action from every state: the state, step and weight after it, or ROLLOUT_CONFLICT', () => {
  const now = T0 + 60_500;
  for (const action of ROLLOUT_ACTIONS) {
    for (const from of ROLLOUT_STATES) {
      const s = stateIn(from);
      const want = EXPECTED[action][from];
      const name = `${action} from ${from}`;
      if (want === 'refused') {
        assert.throws(
          () => applyAction(s, spec, action, now),
          (err: unknown) =>
            err instanceof GatewayError &&
            err.code === 'ROLLOUT_CONFLICT' &&
            err.status === 409 &&
            err.message.includes('reports') &&
            err.message.includes(from),
          name,
        );
        continue;
      }
      const next = applyAction(s, spec, action, now);
      assert.deepEqual([next.state, next.step, next.weight], want, name);
      const entry = next.decisions.at(-1)!;
      assert.equal(entry.decision, action, name);
      assert.equal(entry.by, 'admin', name);
      assert.deepEqual([entry.step, entry.weight], [s.step, s.weight], `${name}: logged at the step it acted on`);
      assert.ok(next.version > s.version, `${name}: version`);
      assert.equal(s.state, from, `${name}: the state given is not changed`);
    }
  }
});

test('start, resume and promote begin the step afresh: its own clock, evidence and cursor', () => {
  const now = T0 + 60_500;
  for (const [action, from] of [
    ['start', 'rolled_back'],
    ['resume', 'paused'],
    ['promote', 'running'],
  ] as const) {
    const next = applyAction(stateIn(from), spec, action, now);
    assert.equal(next.stepStartedAt, now, action);
    assert.equal(next.cursor, Math.floor(now / 1000), action);
    assert.deepEqual(next.evidence, emptyEvidence(), action);
    assert.equal(next.reason, undefined, action);
  }
});

test('pause and abort say why; abort keeps the step it was at', () => {
  const paused = applyAction(stateIn('running'), spec, 'pause', T0 + 60_000);
  assert.match(paused.reason!, /operator/);
  assert.equal(paused.weight, 5, 'a pause keeps the weight in force');
  const aborted = applyAction(stateIn('running'), spec, 'abort', T0 + 60_000);
  assert.match(aborted.reason!, /abort/);
});

test('promote at the last step completes with weight 100', () => {
  let s = applyAction(idleState('reports'), spec, 'start', T0);
  for (let i = 1; i < spec.steps.length; i++) {
    s = applyAction(s, spec, 'promote', T0 + i * 1000);
    assert.deepEqual([s.state, s.step, s.weight], ['running', i, spec.steps[i]]);
  }
  s = applyAction(s, spec, 'promote', T0 + 10_000);
  assert.deepEqual([s.state, s.weight], ['complete', 100]);
});

test('a manual weight change pauses a running rollout, and only a running one', () => {
  const now = T0 + 60_000;
  const running = stateIn('running');
  const next = pauseForManualWeight(running, now)!;
  assert.equal(next.state, 'paused');
  assert.equal(next.step, running.step);
  assert.match(next.reason!, /by hand/);
  assert.equal(next.decisions.at(-1)!.decision, 'pause');
  assert.ok(next.version > running.version);
  for (const other of ROLLOUT_STATES.filter((n) => n !== 'running'))
    assert.equal(pauseForManualWeight(stateIn(other), now), undefined, other);
});

test("advance: the next step's weight, a fresh clock, evidence and cursor; the decision logs the step judged", () => {
  const now = T0 + 70_250;
  const s = stateIn('running');
  const next = applyVerdict(s, spec, advance, BY, now);
  assert.deepEqual([next.state, next.step, next.weight], ['running', 3, 25]);
  assert.equal(next.stepStartedAt, now);
  assert.equal(next.cursor, Math.floor(now / 1000));
  assert.deepEqual(next.evidence, emptyEvidence());
  const entry = next.decisions.at(-1)!;
  assert.deepEqual([entry.decision, entry.by, entry.step, entry.weight], ['advance', BY, 2, 5]);
  assert.deepEqual(entry.evidence, summary);
  assert.notDeepEqual(s.evidence, emptyEvidence(), 'the state given is not changed');
});

test('complete puts weight 100 in force', () => {
  const next = applyVerdict({ ...stateIn('running'), step: 5, weight: 100 }, spec, complete, BY, T0 + 70_000);
  assert.deepEqual([next.state, next.weight], ['complete', 100]);
  assert.equal(next.decisions.at(-1)!.decision, 'complete');
});

test('rollback puts weight 0 in force, and its reason and decision name the failed gate', () => {
  for (const [gate, detail] of [
    ['max_error_rate', 'error rate 5.00% > 1.00%'],
    ['max_latency_ratio', "p95 30.0 ms is 3.00x legacy's 10.0 ms > 1.5x"],
    ['max_diff_rate', 'diff rate 3.00% > 1.00%'],
  ] as const) {
    const next = applyVerdict(stateIn('running'), spec, rollback(gate, detail), BY, T0 + 70_000);
    assert.deepEqual([next.state, next.step, next.weight], ['rolled_back', 2, 0], gate);
    assert.ok(next.reason!.includes(detail), `${gate}: ${next.reason}`);
    const entry = next.decisions.at(-1)!;
    // The entry says where it failed: step 2 at weight 5, not the 0 put in force.
    assert.deepEqual(
      [entry.decision, entry.gate, entry.detail, entry.step, entry.weight],
      ['rollback', gate, detail, 2, 5],
    );
  }
});

test('a hold on a failed gate (on_failure: hold) pauses at the step and says why', () => {
  const v = hold('gate', 'error rate 5.00% > 1.00%', 'max_error_rate');
  const next = applyVerdict(stateIn('running'), spec, v, BY, T0 + 70_000);
  assert.deepEqual([next.state, next.step, next.weight], ['paused', 2, 5]);
  assert.match(next.reason!, /held: error rate 5\.00%/);
  assert.equal(next.decisions.at(-1)!.gate, 'max_error_rate');
});

test('a repeated hold with the same reason is logged once; its evidence is still kept', () => {
  const s = stateIn('running');
  const first = applyVerdict(s, spec, hold('interval'), BY, T0 + 61_000);
  assert.equal(first.decisions.length, s.decisions.length + 1);
  assert.equal(first.decisions.at(-1)!.detail, 'interval');
  const later = withEvidence(first, T0 + 62_000);
  const again = applyVerdict(later, spec, hold('interval', 'other words'), BY, T0 + 62_000);
  assert.equal(again.decisions.length, first.decisions.length, 'not logged twice');
  assert.equal(again.cursor, later.cursor, "the step's evidence and cursor are kept");
  const other = applyVerdict(again, spec, hold('requests'), BY, T0 + 63_000);
  assert.equal(other.decisions.length, first.decisions.length + 1, 'a new reason is logged');
  // A floor is logged by what it says: the same floor once, another one again.
  const floor = applyVerdict(other, spec, hold('floor', 'route_all_to_legacy is in force'), BY, T0 + 64_000);
  const floorAgain = applyVerdict(floor, spec, hold('floor', 'route_all_to_legacy is in force'), BY, T0 + 65_000);
  assert.equal(floorAgain.decisions.length, floor.decisions.length);
  const otherFloor = applyVerdict(floor, spec, hold('floor', "the route's rollback is in force"), BY, T0 + 66_000);
  assert.equal(otherFloor.decisions.length, floor.decisions.length + 1);
});

test('the last 50 decisions are kept, newest last', () => {
  let s = stateIn('running');
  for (let i = 0; i < 60; i++) s = applyVerdict(s, spec, hold(i % 2 ? 'interval' : 'requests'), BY, T0 + 70_000 + i);
  assert.equal(s.decisions.length, 50);
  assert.equal(s.decisions.at(-1)!.at, new Date(T0 + 70_059).toISOString());
  assert.equal(s.decisions[0].at, new Date(T0 + 70_010).toISOString());
});

test('version increases with every logged change, also when the clock steps back', () => {
  let s = stateIn('running');
  const seen = [s.version];
  s = applyVerdict(s, spec, hold('requests'), BY, T0 + 100_000);
  seen.push(s.version);
  // Another instance's clock, a minute behind.
  s = applyVerdict(s, spec, advance, BY, T0 + 40_000);
  seen.push(s.version);
  s = applyAction(s, spec, 'pause', T0 + 40_000);
  seen.push(s.version);
  s = pauseForManualWeight(applyAction(s, spec, 'resume', T0), T0)!;
  seen.push(s.version);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], `versions ${seen.join(', ')}`);
});

test('a state survives the store: JSON and back through the schema', () => {
  for (const name of ROLLOUT_STATES) {
    const s = stateIn(name);
    const parsed = rolloutStateSchema.safeParse(JSON.parse(JSON.stringify(s)));
    assert.ok(parsed.success, name);
    assert.deepEqual(parsed.data, JSON.parse(JSON.stringify(s)), name);
  }
});
