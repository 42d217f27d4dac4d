import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketOf, BUCKETS, choosesNew } from './bucket';

test('buckets are stable, in range, and spread evenly over similar keys', () => {
  assert.equal(bucketOf('r', 'user-1'), bucketOf('r', 'user-1'));
  const counts = new Array(10).fill(0);
  for (let i = 0; i < 20_000; i++) {
    const b = bucketOf('reports', `user-${i}`);
    assert.ok(b >= 0 && b < BUCKETS);
    counts[Math.floor(b / 1000)]++;
  }
  for (const c of counts) assert.ok(c > 1_800 && c < 2_200, `decile count ${c}`);
});

test('the same user lands in different buckets on different routes', () => {
  let same = 0;
  for (let i = 0; i < 1_000; i++) if (bucketOf('a', `u${i}`) === bucketOf('b', `u${i}`)) same++;
  assert.ok(same < 5);
});

test('raising the new weight never moves a new-side user back (monotone)', () => {
  for (let i = 0; i < 5_000; i++) {
    const b = bucketOf('r', `u${i}`);
    if (choosesNew(b, 10)) assert.ok(choosesNew(b, 20));
  }
  assert.equal(choosesNew(0, 0), false);
  assert.equal(choosesNew(BUCKETS - 1, 100), true);
});
