import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CircuitBreaker } from './breaker';

function breaker() {
  let t = 0;
  const changes: boolean[] = [];
  const b = new CircuitBreaker(
    { failures: 3, cooldownMs: 1_000 },
    (open) => changes.push(open),
    () => t,
  );
  return { b, changes, advance: (ms: number) => (t += ms) };
}

test('opens after N consecutive failures, not after N scattered ones', () => {
  const { b, changes } = breaker();
  b.failure();
  b.failure();
  b.success();
  b.failure();
  b.failure();
  assert.equal(b.state, 'closed');
  b.failure();
  assert.equal(b.state, 'open');
  assert.equal(b.allow(), false);
  assert.deepEqual(changes, [true]);
});

test('after the cooldown one probe passes; its success closes the breaker', () => {
  const { b, changes, advance } = breaker();
  for (let i = 0; i < 3; i++) b.failure();
  advance(999);
  assert.equal(b.allow(), false);
  advance(1);
  assert.equal(b.allow(), true, 'the probe');
  assert.equal(b.allow(), false, 'only one probe at a time');
  b.success();
  assert.equal(b.state, 'closed');
  assert.equal(b.allow(), true);
  assert.deepEqual(changes, [true, false]);
});

test('a failed probe opens it for another cooldown', () => {
  const { b, advance } = breaker();
  for (let i = 0; i < 3; i++) b.failure();
  advance(1_000);
  assert.equal(b.allow(), true);
  b.failure();
  assert.equal(b.state, 'open');
  advance(500);
  assert.equal(b.allow(), false);
  advance(500);
  assert.equal(b.allow(), true);
});
