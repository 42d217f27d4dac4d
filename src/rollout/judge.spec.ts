import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RolloutSpec } from '../config';
import { emptyEvidence, emptySide, recordInto, type Evidence, type SideEvidence } from './evidence';
import { judge, judgedSide, LEGACY_P95_MIN_REQUESTS, type StepInput, type Verdict } from './judge';

const STEPS = [0, 1, 5, 25, 50, 100];
const LAST = STEPS.length - 1;

const spec = (over: Partial<RolloutSpec> = {}): RolloutSpec => ({
  steps: STEPS,
  step_interval_s: 10,
  min_requests: 100,
  gates: { max_error_rate: 0.01, max_latency_ratio: 1.5, max_diff_rate: 0.01 },
  on_failure: 'rollback',
  ...over,
});

/** `n` requests of `ms` each, the first `errors` of them failed. */
function side(n: number, ms: number, errors = 0): SideEvidence {
  const s = emptySide();
  for (let i = 0; i < n; i++) recordInto(s, ms, i < errors);
  return s;
}

const evidence = (over: Partial<Evidence> = {}): Evidence => ({ ...emptyEvidence(), ...over });

/** A healthy step: enough of everything, both sides at 10 ms, no diffs. */
function healthy(step: number): Evidence {
  const legacy = side(1000, 10);
  if (STEPS[step] === 0) return evidence({ legacy, shadow: side(100, 10), same: 100 });
  return evidence({ legacy: STEPS[step] === 100 ? emptySide() : legacy, new: side(100, 10) });
}

const input = (over: Partial<StepInput> & { step: number }): StepInput => ({
  spec: spec(),
  elapsedMs: 10_000,
  evidence: healthy(over.step),
  recent: emptyEvidence(),
  lastLegacyP95Ms: 10,
  ...over,
});

function assertHold(v: Verdict, reason: string, detail?: RegExp) {
  assert.equal(v.decision, 'hold', JSON.stringify(v));
  if (v.decision !== 'hold') return;
  assert.equal(v.reason, reason);
  if (detail) assert.match(v.detail, detail);
}

function assertRollback(v: Verdict, gate: string, detail?: RegExp) {
  assert.equal(v.decision, 'rollback', JSON.stringify(v));
  if (v.decision !== 'rollback') return;
  assert.equal(v.gate, gate);
  if (detail) assert.match(v.detail, detail);
}

test('a healthy step advances once it has lasted step_interval_s with min_requests', () => {
  for (let step = 0; step < LAST; step++) assert.equal(judge(input({ step })).decision, 'advance', `step ${step}`);
});

test('the last step (100) completes instead of advancing, judged against the last legacy p95', () => {
  const v = judge(input({ step: LAST, lastLegacyP95Ms: 10 }));
  assert.equal(v.decision, 'complete');
  assert.equal(v.summary.legacy_p95_ms, 10);
});

test('hold interval: too soon, however good the evidence', () => {
  // 9.999 s is not yet 10 s: the detail must not say it is.
  assertHold(judge(input({ step: 1, elapsedMs: 9_999 })), 'interval', /^9 s of 10 s$/);
  assertHold(judge(input({ step: 0, elapsedMs: 0 })), 'interval');
});

test('hold requests: fewer than min_requests on the new side', () => {
  const ev = evidence({ legacy: side(1000, 10), new: side(99, 10) });
  assertHold(judge(input({ step: 2, evidence: ev })), 'requests', /99 of 100 requests/);
});

test('hold requests at step 0: shadow copies, and compared responses when max_diff_rate is set', () => {
  const fewCopies = evidence({ legacy: side(1000, 10), shadow: side(99, 10), same: 100 });
  assertHold(judge(input({ step: 0, evidence: fewCopies })), 'requests', /99 of 100 requests/);
  const fewCompared = evidence({ legacy: side(1000, 10), shadow: side(100, 10), same: 98, diff: 1 });
  assertHold(judge(input({ step: 0, evidence: fewCompared })), 'requests', /99 of 100 compared/);
  // Without a diff gate, comparisons are not waited for.
  const noDiffGate = spec({ gates: { max_error_rate: 0.01, max_latency_ratio: 1.5 } });
  const uncompared = evidence({ legacy: side(1000, 10), shadow: side(100, 10) });
  assert.equal(judge(input({ step: 0, spec: noDiffGate, evidence: uncompared })).decision, 'advance');
});

test('hold legacy_latency: a latency gate and no legacy p95 from this step or an earlier one', () => {
  const ev = evidence({ legacy: side(LEGACY_P95_MIN_REQUESTS - 1, 10), new: side(100, 10) });
  assertHold(judge(input({ step: 3, evidence: ev, lastLegacyP95Ms: undefined })), 'legacy_latency');
  assert.equal(judge(input({ step: 3, evidence: ev, lastLegacyP95Ms: 10 })).decision, 'advance');
  const noLatencyGate = spec({ gates: { max_error_rate: 0.01 } });
  assert.equal(
    judge(input({ step: 3, spec: noLatencyGate, evidence: ev, lastLegacyP95Ms: undefined })).decision,
    'advance',
  );
});

test('rollback on max_error_rate: above the rate fails, at it passes, and time is not waited for', () => {
  const bad = evidence({ legacy: side(1000, 10), new: side(100, 10, 2) });
  const v = judge(input({ step: 2, evidence: bad, elapsedMs: 0 }));
  assertRollback(v, 'max_error_rate', /error rate 2\.00% > 1\.00%/);
  assert.equal(v.summary.errors, 2);
  assert.equal(v.summary.error_rate, 0.02);
  const atLimit = evidence({ legacy: side(1000, 10), new: side(100, 10, 1) });
  assert.equal(judge(input({ step: 2, evidence: atLimit })).decision, 'advance');
});

test("rollback on max_latency_ratio against legacy's p95 of this step", () => {
  const slow = evidence({ legacy: side(LEGACY_P95_MIN_REQUESTS, 10), new: side(100, 30) });
  // The last legacy p95 says 100 ms, but this step measured legacy itself: its 10 ms count.
  assertRollback(judge(input({ step: 2, evidence: slow, lastLegacyP95Ms: 100 })), 'max_latency_ratio', /x legacy's/);
  const alike = evidence({ legacy: side(LEGACY_P95_MIN_REQUESTS, 10), new: side(100, 12) });
  assert.equal(judge(input({ step: 2, evidence: alike, lastLegacyP95Ms: 100 })).decision, 'advance');
});

test('max_latency_ratio uses the last legacy p95 when legacy served fewer than 20 requests in the step', () => {
  const ev = evidence({ legacy: side(LEGACY_P95_MIN_REQUESTS - 1, 10), new: side(100, 30) });
  // 30 ms against the last 100 ms passes; against this step's 19 requests at 10 ms it would not.
  const v = judge(input({ step: 4, evidence: ev, lastLegacyP95Ms: 100 }));
  assert.equal(v.decision, 'advance');
  assert.equal(v.summary.legacy_p95_ms, 100);
  assertRollback(judge(input({ step: 4, evidence: ev, lastLegacyP95Ms: 10 })), 'max_latency_ratio');
  // At 100 legacy serves nothing: the last p95 is all there is.
  const atFull = evidence({ new: side(100, 30) });
  assertRollback(judge(input({ step: LAST, evidence: atFull, lastLegacyP95Ms: 10 })), 'max_latency_ratio');
});

test('rollback on max_diff_rate at step 0', () => {
  const ev = evidence({ legacy: side(1000, 10), shadow: side(100, 10), same: 97, diff: 3 });
  const v = judge(input({ step: 0, evidence: ev, elapsedMs: 0 }));
  assertRollback(v, 'max_diff_rate', /diff rate 3\.00% > 1\.00%/);
  assert.equal(v.summary.diff_rate, 0.03);
});

test('on_failure hold: a failed gate holds with reason gate and names it', () => {
  const bad = evidence({ legacy: side(1000, 10), new: side(100, 10, 5) });
  const v = judge(input({ step: 1, spec: spec({ on_failure: 'hold' }), evidence: bad }));
  assertHold(v, 'gate', /error rate/);
  assert.equal(v.decision === 'hold' && v.gate, 'max_error_rate');
});

test('a gate failing only in the recent stretch fails, though the step as a whole passes', () => {
  // 10 000 requests, 0.5% failed, all of them in the last stretch: half of its 100 requests failed.
  const whole = evidence({ legacy: side(1000, 10), new: side(10_000, 10, 50) });
  const recent = evidence({ legacy: side(100, 10), new: side(100, 10, 50) });
  assertRollback(judge(input({ step: 3, evidence: whole, recent })), 'max_error_rate', /50\.00%/);
  // The same for latency: slow lately, fast before.
  const slowLately = evidence({ legacy: side(100, 10), new: side(100, 40) });
  assertRollback(judge(input({ step: 3, recent: slowLately })), 'max_latency_ratio');
  // A recent stretch with too little legacy compares with the step's legacy p95.
  const slowNoLegacy = evidence({ new: side(100, 40) });
  assertRollback(judge(input({ step: 3, recent: slowNoLegacy, lastLegacyP95Ms: 1000 })), 'max_latency_ratio');
  // And diffs.
  const diffsLately = evidence({ same: 50, diff: 50 });
  assertRollback(judge(input({ step: 0, recent: diffsLately })), 'max_diff_rate');
});

test('a gate is not judged on fewer than min_requests, in the step or in the recent stretch', () => {
  const allFailed = evidence({ legacy: side(1000, 10), new: side(99, 1000, 99) });
  assertHold(judge(input({ step: 1, evidence: allFailed })), 'requests');
  const recentFailed = evidence({ legacy: side(100, 10), new: side(99, 1000, 99), same: 0, diff: 99 });
  assert.equal(judge(input({ step: 1, recent: recentFailed })).decision, 'advance');
  const fewDiffs = evidence({ legacy: side(1000, 10), shadow: side(100, 10), same: 0, diff: 99 });
  assertHold(judge(input({ step: 0, evidence: fewDiffs })), 'requests', /compared/);
});

test('step 0 judges the shadow copies, later steps the requests the new side served', () => {
  assert.equal(judgedSide(spec(), 0), 'shadow');
  assert.equal(judgedSide(spec(), 1), 'new');
  assert.equal(judgedSide(spec({ steps: [10, 100] }), 0), 'new');
  const shadowBad = evidence({ legacy: side(1000, 10), shadow: side(100, 10, 50), new: side(100, 10), same: 100 });
  const newBad = evidence({ legacy: side(1000, 10), shadow: side(100, 10), new: side(100, 10, 50), same: 100 });
  assertRollback(judge(input({ step: 0, evidence: shadowBad })), 'max_error_rate');
  assert.equal(judge(input({ step: 0, evidence: newBad })).decision, 'advance');
  assert.equal(judge(input({ step: 1, evidence: shadowBad })).decision, 'advance');
  assertRollback(judge(input({ step: 1, evidence: newBad })), 'max_error_rate');
  assert.equal(judge(input({ step: 0, evidence: newBad })).summary.errors, 0, 'the summary shows the judged side');
  // A rollout whose first step is not 0 judges real requests from the start.
  const first = spec({ steps: [10, 100] });
  assertRollback(judge(input({ step: 0, spec: first, evidence: newBad })), 'max_error_rate');
});
