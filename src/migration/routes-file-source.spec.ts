import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RouteSpec } from '../config';
import { acceptReload } from './routes-file-source';

const route = (id: string, over: Partial<RouteSpec> = {}): RouteSpec => ({
  id,
  path: `/api/v1/${id}/*`,
  target: 'http://new.internal:9000',
  ...over,
});
const table = (...specs: RouteSpec[]) => new Map(specs.map((s) => [s.id, s]));

test('run-time fields of a reloaded route apply; nothing needs a restart', () => {
  const boot = table(route('a'), route('b'));
  const next = table(route('a', { weights: { legacy: 50, new: 50 }, rollback: true }), route('b', { fallback: true }));
  const { accepted, restart } = acceptReload(boot, boot, next);
  assert.deepEqual(restart, []);
  assert.equal(accepted.get('a'), next.get('a'));
  assert.equal(accepted.get('b'), next.get('b'));
});

test('a route whose path, target or options changed keeps its last accepted entry and is named', () => {
  const boot = table(route('a'), route('b'));
  const current = table(route('a', { weights: { legacy: 80, new: 20 } }), route('b'));
  const next = table(
    route('a', { path: '/moved/*', weights: { legacy: 0, new: 100 } }),
    route('b', { rollback: true }),
  );
  const { accepted, restart } = acceptReload(boot, current, next);
  assert.deepEqual(restart, ['a: path, target or options changed']);
  assert.equal(accepted.get('a'), current.get('a'), 'its weights change is ignored too');
  assert.equal(accepted.get('b'), next.get('b'));
});

test('added and removed routes need a restart; the table keeps exactly the booted routes', () => {
  const boot = table(route('a'), route('b'));
  const next = table(route('b'), route('c'));
  const { accepted, restart } = acceptReload(boot, boot, next);
  assert.deepEqual(restart, ['a: removed', 'c: added']);
  assert.deepEqual([...accepted.keys()], ['a', 'b']);
  assert.equal(accepted.get('a'), boot.get('a'));
});
