import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROUTE_AFTER_KEYS, UncacheableMemory } from './uncacheable-memory';

test('a key that answered uncacheable skips lookups for the ttl, then is looked up again', () => {
  const m = new UncacheableMemory(1_000);
  assert.equal(m.skips('r', 'k', 0), false);
  m.uncacheable('r', 'k', 0);
  assert.equal(m.skips('r', 'k', 999), true);
  assert.equal(m.skips('r', 'other', 999), false);
  assert.equal(m.skips('r', 'k', 1_000), false);
});

test('a storable answer ends the memory at once', () => {
  const m = new UncacheableMemory(1_000);
  m.uncacheable('r', 'k', 0);
  m.cacheable('r', 'k', 10);
  assert.equal(m.skips('r', 'k', 11), false);
});

test(`a route whose ${ROUTE_AFTER_KEYS} distinct keys answered uncacheable skips as a whole, until one is storable`, () => {
  const m = new UncacheableMemory(1_000);
  for (let i = 0; i < ROUTE_AFTER_KEYS - 1; i++) m.uncacheable('r', `k${i}`, 0);
  // The same key again (concurrent misses before its first answer) does not count twice.
  m.uncacheable('r', 'k0', 0);
  assert.equal(m.skips('r', 'new', 1), false);
  m.uncacheable('r', 'last', 1);
  assert.equal(m.skips('r', 'new', 2), true);
  assert.equal(m.skips('other-route', 'new', 2), false);
  m.cacheable('r', 'new', 3);
  assert.equal(m.skips('r', 'brand-new', 4), false);
});

test('a route with a storable answer lately is mixed: only its keys are remembered, never the route', () => {
  const m = new UncacheableMemory(1_000);
  m.cacheable('r', 'good', 0);
  for (let i = 0; i < ROUTE_AFTER_KEYS * 2; i++) m.uncacheable('r', `k${i}`, 1);
  assert.equal(m.skips('r', 'k0', 2), true);
  assert.equal(m.skips('r', 'good', 2), false);
  // After the mixed period the route can be remembered again.
  for (let i = 0; i < ROUTE_AFTER_KEYS; i++) m.uncacheable('r', `later${i}`, 1_001);
  assert.equal(m.skips('r', 'good', 1_002), true);
});

test('memory is bounded: two generations of maxKeys, the oldest dropped first', () => {
  const m = new UncacheableMemory(60_000, 3);
  for (const k of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) m.uncacheable(`route-${k}`, k, 0);
  // a,b,c went to the previous generation when d came, and were dropped when g came.
  assert.deepEqual(
    ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((k) => m.skips(`route-${k}`, k, 1)),
    [false, false, false, true, true, true, true],
  );
});
