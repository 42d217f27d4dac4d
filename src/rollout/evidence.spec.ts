import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addEvidence,
  emptyEvidence,
  emptySide,
  errorRate,
  fromFields,
  LATENCY_BUCKETS,
  latencyBucket,
  quantileMs,
  recordInto,
  summarize,
  toFields,
  type Evidence,
} from './evidence';

/** One side's evidence from latencies in ms; the first `errors` of them are errors. */
function sideOf(latencies: number[], errors = 0) {
  const side = emptySide();
  latencies.forEach((ms, i) => recordInto(side, ms, i < errors));
  return side;
}

/** 0.5 ms to about 5 minutes, 7% apart: covers every bucket but the open-ended first and last. */
function spread(): number[] {
  const out: number[] = [];
  for (let ms = 0.5; ms < 300_000; ms *= 1.07) out.push(ms);
  return out;
}

test('latencyBucket never goes down as latency rises, and stays in range', () => {
  let last = 0;
  for (const ms of [-1, 0, 0.1, 0.25, ...spread(), 1e9, Infinity]) {
    const b = latencyBucket(ms);
    assert.ok(Number.isInteger(b) && b >= 0 && b < LATENCY_BUCKETS, `bucket ${b} of ${ms} ms`);
    assert.ok(b >= last, `${ms} ms went down to bucket ${b} from ${last}`);
    last = b;
  }
  assert.equal(latencyBucket(Number.NaN), 0);
  assert.equal(latencyBucket(1e9), LATENCY_BUCKETS - 1);
});

test('a latency read back from its bucket is within 25% of it', () => {
  for (const ms of spread()) {
    // One sample: any quantile lands inside its bucket, so the extremes of the bucket are what is checked.
    for (const q of [0, 0.5, 0.95, 1]) {
      const read = quantileMs(sideOf([ms]), q)!;
      assert.ok(Math.abs(read - ms) <= 0.25 * ms, `${ms} ms read back as ${read} ms at q=${q}`);
    }
  }
  // Latencies 25% apart are never in the same bucket, so the histogram tells them apart.
  for (const ms of spread()) assert.notEqual(latencyBucket(ms), latencyBucket(ms * 1.26), `${ms} ms`);
});

test('quantileMs on known samples: 1..100 ms gives a p95 near 95 and a median near 50', () => {
  const side = sideOf(Array.from({ length: 100 }, (_, i) => i + 1));
  const p95 = quantileMs(side, 0.95)!;
  assert.ok(Math.abs(p95 - 95) <= 0.25 * 95, `p95 ${p95}`);
  const p50 = quantileMs(side, 0.5)!;
  assert.ok(Math.abs(p50 - 50) <= 0.25 * 50, `p50 ${p50}`);
  assert.ok(quantileMs(side, 0.5)! < p95 && p95 <= quantileMs(side, 1)!);
  // All samples alike: every quantile is that latency, within a bucket.
  const flat = sideOf(new Array<number>(1000).fill(40));
  for (const q of [0.01, 0.5, 0.99]) assert.ok(Math.abs(quantileMs(flat, q)! - 40) <= 10);
  // A slow 10% moves p95 there and leaves the median alone.
  const tail = sideOf([...new Array<number>(90).fill(10), ...new Array<number>(10).fill(1000)]);
  assert.ok(quantileMs(tail, 0.95)! > 750);
  assert.ok(quantileMs(tail, 0.5)! < 12.5);
});

test('quantileMs without samples is undefined, and errorRate without requests is 0', () => {
  assert.equal(quantileMs(emptySide(), 0.95), undefined);
  assert.equal(errorRate(emptySide()), 0);
  assert.equal(errorRate(sideOf([1, 2, 3, 4], 1)), 0.25);
});

test('recordInto counts requests, errors and one latency bucket per request', () => {
  const side = sideOf([5, 5, 500], 2);
  assert.equal(side.requests, 3);
  assert.equal(side.errors, 2);
  assert.equal(side.latency[latencyBucket(5)], 2);
  assert.equal(side.latency[latencyBucket(500)], 1);
  assert.equal(
    side.latency.reduce((a, b) => a + b, 0),
    3,
  );
});

function sample(): Evidence {
  const ev = emptyEvidence();
  ev.legacy = sideOf([10, 20, 30], 0);
  ev.new = sideOf([15, 2000], 1);
  ev.shadow = sideOf([0.1, 300_000_000], 2);
  ev.same = 7;
  ev.diff = 2;
  return ev;
}

test('toFields then fromFields gives the same evidence back', () => {
  const ev = sample();
  assert.deepEqual(fromFields(toFields(ev)), ev);
  assert.deepEqual(fromFields(toFields(emptyEvidence())), emptyEvidence());
});

test('toFields writes only what is not zero, under short names', () => {
  assert.deepEqual(toFields(emptyEvidence()), {});
  const ev = emptyEvidence();
  recordInto(ev.new, 10, false);
  ev.diff = 1;
  assert.deepEqual(toFields(ev), { 'n.n': 1, [`n.h${latencyBucket(10)}`]: 1, diff: 1 });
  const fields = toFields(sample());
  assert.ok(Object.values(fields).every((v) => v > 0));
  assert.equal(fields['l.e'], undefined);
  assert.equal(fields['s.e'], 2);
  assert.equal(fields.same, 7);
});

test('fromFields ignores fields it does not know and values that are not counts', () => {
  const junk: Record<string, number> = {
    'n.n': 4,
    'x.n': 9,
    'n.q': 9,
    'n.h': 9,
    [`n.h${LATENCY_BUCKETS}`]: 9,
    'n.h-1': 9,
    'n.h3.5': 9,
    'l.n.extra': 9,
    'l.e': -2,
    's.n': Number.NaN,
    same: Infinity,
    diff: 3,
    version: 2,
    __proto__x: 1,
  };
  const ev = fromFields(junk);
  const want = emptyEvidence();
  want.new.requests = 4;
  want.diff = 3;
  assert.deepEqual(ev, want);
});

test('addEvidence sums every count, side by side, into its first argument', () => {
  const a = sample();
  const b = sample();
  b.new = sideOf([15, 15, 15], 3);
  const sum = addEvidence(a, b);
  assert.equal(sum, a);
  assert.equal(sum.legacy.requests, 6);
  assert.equal(sum.new.requests, 5);
  assert.equal(sum.new.errors, 4);
  assert.equal(sum.new.latency[latencyBucket(15)], 4);
  assert.equal(sum.shadow.errors, 4);
  assert.equal(sum.same, 14);
  assert.equal(sum.diff, 4);
  assert.deepEqual(b.new, sideOf([15, 15, 15], 3), 'the added evidence is not changed');
  // Adding what the store's buckets hold, second by second, is the same as counting it all in one.
  const whole = fromFields(toFields(sample()));
  assert.deepEqual(addEvidence(emptyEvidence(), whole), sample());
});

test('summarize shows the judged side, legacy beside it and the diff rate', () => {
  const s = summarize(sample(), 'new', 24.56789);
  assert.equal(s.requests, 2);
  assert.equal(s.errors, 1);
  assert.equal(s.error_rate, 0.5);
  assert.equal(s.legacy_requests, 3);
  assert.equal(s.legacy_p95_ms, 24.568);
  assert.equal(s.compared, 9);
  assert.equal(s.diff, 2);
  assert.equal(s.diff_rate, 0.2222);
  assert.ok(s.p95_ms! > 1500);
  const none = summarize(emptyEvidence(), 'shadow', undefined);
  assert.equal(none.p95_ms, null);
  assert.equal(none.legacy_p95_ms, null);
  assert.equal(none.diff_rate, null);
  assert.equal(none.error_rate, 0);
});
