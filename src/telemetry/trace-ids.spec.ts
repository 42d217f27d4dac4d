import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';
import { test } from 'node:test';
import { PooledIdGenerator } from './trace-ids';

test('trace ids are 32 and span ids 16 lowercase hex characters, never all zero, and do not repeat', () => {
  const ids = new PooledIdGenerator();
  const seen = new Set<string>();
  // Several pools' worth, so refills are crossed.
  for (let i = 0; i < 2_000; i++) {
    const traceId = ids.generateTraceId();
    const spanId = ids.generateSpanId();
    assert.match(traceId, /^[0-9a-f]{32}$/);
    assert.match(spanId, /^[0-9a-f]{16}$/);
    assert.notEqual(traceId, '0'.repeat(32));
    assert.notEqual(spanId, '0'.repeat(16));
    assert.ok(!seen.has(traceId) && !seen.has(spanId), 'no id handed out twice');
    seen.add(traceId);
    seen.add(spanId);
  }
});

test('the hex digits are evenly used (ids come from randomness, not a counter)', () => {
  const ids = new PooledIdGenerator();
  const counts = new Map<string, number>();
  for (let i = 0; i < 1_000; i++) for (const c of ids.generateTraceId()) counts.set(c, (counts.get(c) ?? 0) + 1);
  assert.equal(counts.size, 16);
  // 32,000 digits: 2,000 expected each; a counter or a stuck byte would be far off.
  for (const [c, n] of counts) assert.ok(n > 1_700 && n < 2_300, `digit ${c} seen ${n} times`);
});

test('an all-zero id is never handed out: it is skipped', () => {
  let calls = 0;
  // The first pool is all zeroes, the second real randomness.
  const ids = new PooledIdGenerator((pool) => (calls++ === 0 ? pool.fill(0) : randomFillSync(pool)));
  assert.match(ids.generateTraceId(), /[1-9a-f]/);
  assert.match(ids.generateSpanId(), /[1-9a-f]/);
  assert.equal(calls, 2);
});
