import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffJson, realDifferences } from './json-diff';

test('structural diff finds changed leaves, missing keys and changed shapes', () => {
  const a = { id: 1, items: [{ n: 1 }, { n: 2 }], meta: { at: 'x' }, gone: true };
  const b = { id: 1, items: [{ n: 1 }, { n: 3 }], meta: 'flat', extra: 1 };
  assert.deepEqual(
    diffJson(a, b)
      .map((p) => p.join('.'))
      .sort(),
    ['extra', 'gone', 'items.1.n', 'meta'],
  );
  assert.deepEqual(diffJson({ a: [1, 2] }, { a: [1, 2] }), []);
});

test('ignored and volatile paths (and everything below them) are not real differences', () => {
  const primary = { total: 3, generated_at: 't1', items: [{ id: 1, etag: 'a' }], trace: { id: 'p' } };
  const shadow = { total: 4, generated_at: 't9', items: [{ id: 1, etag: 'b' }], trace: { id: 's' } };
  const found = realDifferences(primary, shadow, [['generated_at'], ['items', '*', 'etag']], [['trace']]);
  assert.deepEqual(found, [{ path: '$.total', primary: 3, shadow: 4 }]);
});
