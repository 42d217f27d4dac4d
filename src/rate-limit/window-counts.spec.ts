import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WindowCounts } from './window-counts';

test('alone it is an exact fixed window: N admitted, then refused until the window ends', () => {
  const c = new WindowCounts(3, 1_000);
  assert.deepEqual(c.take('k', 0), { admitted: true, remaining: 2, resetMs: 1_000 });
  assert.deepEqual(c.take('k', 10), { admitted: true, remaining: 1, resetMs: 990 });
  assert.deepEqual(c.take('k', 20), { admitted: true, remaining: 0, resetMs: 980 });
  assert.deepEqual(c.take('k', 30), { admitted: false, remaining: 0, resetMs: 970 });
  assert.equal(c.take('other', 30).admitted, true, 'keys count apart');
  assert.deepEqual(c.take('k', 1_000), { admitted: true, remaining: 2, resetMs: 1_000 });
});

test('a sync sends what was admitted since the last one, once, and adopts Redis count and time left', () => {
  const c = new WindowCounts(10, 60_000);
  c.take('k', 0);
  c.take('k', 1);
  const [item, ...none] = c.drain();
  assert.deepEqual(none, []);
  assert.equal(item.count, 2);
  assert.deepEqual(c.drain(), [], 'nothing new admitted: nothing to send');
  c.take('k', 2); // admitted while the sync is in flight
  // Redis: 7 in this window (5 from other instances), 30 s left.
  c.settle(item, 7, 30_000, 3);
  assert.deepEqual(c.take('k', 4), { admitted: true, remaining: 1, resetMs: 29_999 });
  assert.deepEqual(c.take('k', 5), { admitted: true, remaining: 0, resetMs: 29_998 });
  assert.deepEqual(c.take('k', 6), { admitted: false, remaining: 0, resetMs: 29_997 });
  assert.equal(c.drain()[0].count, 3, 'the three admitted since the sync go with the next one');
});

test('a failed sync keeps its admissions counted here and sends them again next time', () => {
  const c = new WindowCounts(2, 60_000);
  c.take('k', 0);
  const [item] = c.drain();
  c.retry(item);
  assert.equal(c.take('k', 1).remaining, 0, 'the retried admission still counts');
  assert.equal(c.take('k', 2).admitted, false);
  assert.equal(c.drain()[0].count, 2);
});

test('an answer for a window that has ended here is dropped, and ended windows are forgotten', () => {
  const c = new WindowCounts(2, 1_000);
  c.take('k', 0);
  const [item] = c.drain();
  assert.equal(c.take('k', 1_000).remaining, 1, 'a new window');
  c.settle(item, 99, 50_000, 1_001);
  assert.equal(c.take('k', 1_002).remaining, 0, 'the old window answer did not touch the new one');
  c.sweep(5_000);
  assert.equal(c.size, 0);
});

/** A tiny deterministic PRNG, so the scenarios are the same on every run. */
function prng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
}

/**
 * Instances sharing one Redis (a number, with the script's arithmetic), each syncing every `syncMs` at its own phase;
 * an increment executes half a round trip after it is sent and its answer lands a whole one after. Clients arrive in
 * bursts at random instances, with idle stretches (an idle instance's view of the count grows old). Returns how many
 * were admitted, and the bound the README states: the limit plus, per instance, what it received for the key within
 * one sync interval plus a round trip (at most the limit each).
 */
function scenario(seed: number, instances: number, points: number, syncMs: number, rttMs: number) {
  const rnd = prng(seed);
  let redis = 0;
  const nodes = Array.from({ length: instances }, () => ({
    counts: new WindowCounts(points, 600_000),
    phase: Math.floor(rnd() * syncMs),
    flight: null as null | { at: number; items: ReturnType<WindowCounts['drain']>; totals: number[] },
    busy: Array.from({ length: 100 }, () => rnd() < 0.3),
    level: rnd() * (seed % 2 ? 0.5 : 0.05),
    arrivals: [] as number[],
  }));
  let admitted = 0;
  for (let t = 0; t < 10_000; t++) {
    for (const n of nodes) {
      const f = n.flight;
      if (f && f.totals.length === 0 && t >= f.at + rttMs / 2)
        for (const item of f.items) f.totals.push((redis += item.count));
      if (f && t >= f.at + rttMs) {
        f.items.forEach((item, i) => n.counts.settle(item, f.totals[i], 600_000 - t, t));
        n.flight = null;
      }
      const k = n.busy[Math.floor(t / 100)] && rnd() < n.level ? 1 + Math.floor(rnd() * 3) : 0;
      for (let i = 0; i < k; i++) {
        n.arrivals.push(t);
        if (n.counts.take('client', t).admitted) admitted++;
      }
      if ((t - n.phase) % syncMs === 0 && !n.flight) {
        const items = n.counts.drain();
        if (items.length) n.flight = { at: t, items, totals: [] };
      }
    }
  }
  const mostWithin = (times: number[], span: number) => {
    let most = 0;
    for (let a = 0, b = 0; b < times.length; b++) {
      while (times[b] - times[a] >= span) a++;
      most = Math.max(most, b - a + 1);
    }
    return most;
  };
  const bound = points + nodes.reduce((sum, n) => sum + Math.min(points, mostWithin(n.arrivals, syncMs + rttMs)), 0);
  const offered = nodes.reduce((sum, n) => sum + n.arrivals.length, 0);
  return { admitted, bound: Math.min(bound, instances * points), offered };
}

test('across instances, admissions stay within the limit plus what each instance got in one sync interval and round trip', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const instances = 2 + (seed % 4);
    const points = [10, 100, 600, 5_000][seed % 4];
    const syncMs = [50, 100, 200][seed % 3];
    const rttMs = [1, 5, 120][(seed >> 2) % 3];
    const { admitted, bound, offered } = scenario(seed, instances, points, syncMs, rttMs);
    const at = `seed ${seed}: ${instances} instances, ${points} points, sync ${syncMs} ms, rtt ${rttMs} ms`;
    assert.ok(admitted >= Math.min(points, offered), `${at}: ${admitted} admitted of ${offered}, under the limit`);
    assert.ok(admitted <= bound, `${at}: ${admitted} admitted > bound ${bound}`);
  }
});

test('one instance with Redis is exact however its syncs are timed', () => {
  for (let seed = 1; seed <= 50; seed++) {
    const { admitted, offered } = scenario(seed, 1, 100, 100, 5);
    assert.equal(admitted, Math.min(100, offered));
  }
});
