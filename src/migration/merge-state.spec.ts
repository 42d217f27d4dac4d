import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RouteSpec } from '../config';
import { DEFAULT_FALLBACK_STATUSES } from './live-state';
import { mergeState, type EnvFlags } from './merge-state';
import { emptyOverrides, type Overrides } from './overrides';

const route = (over: Partial<RouteSpec> = {}): RouteSpec => ({
  id: 'reports',
  path: '/api/v1/reports/*',
  target: 'http://new.internal:9000',
  ...over,
});
const file = (...specs: RouteSpec[]) => new Map(specs.map((s) => [s.id, s]));
const env = (over: Partial<EnvFlags> = {}): EnvFlags => ({ routeAllToLegacy: false, cacheEnabled: true, ...over });
const overrides = (over: Partial<Overrides> = {}): Overrides => ({ ...emptyOverrides(), version: 1, ...over });

test('with nothing set: the environment defaults, the whole route on the new side, no rollback', () => {
  const s = mergeState(env(), file(route()), emptyOverrides());
  assert.deepEqual(s.flags.routeAllToLegacy, { value: false, source: 'env' });
  assert.deepEqual(s.flags.cacheEnabled, { value: true, source: 'env' });
  const r = s.routes.get('reports')!;
  assert.deepEqual(r.newPercent, { value: 100, source: 'file' });
  assert.deepEqual(r.rollback, { value: false, source: 'file' });
  assert.equal(r.fallback, undefined);
  assert.equal(r.breaker, undefined);
  assert.equal(r.shadow, undefined);
});

test('ROUTE_ALL_TO_LEGACY=true is a floor: an admin override saying false does not lift it', () => {
  const o = overrides({ flags: { route_all_to_legacy: false } });
  const s = mergeState(env({ routeAllToLegacy: true }), file(route()), o);
  assert.deepEqual(s.flags.routeAllToLegacy, { value: true, source: 'env' });
});

test('CACHE_ENABLED=false is a floor: an admin override saying true does not lift it', () => {
  const o = overrides({ flags: { cache_enabled: true } });
  const s = mergeState(env({ cacheEnabled: false }), file(route()), o);
  assert.deepEqual(s.flags.cacheEnabled, { value: false, source: 'env' });
});

test('when the environment does not force a flag, an admin override sets it either way', () => {
  const on = mergeState(env(), file(), overrides({ flags: { route_all_to_legacy: true, cache_enabled: false } }));
  assert.deepEqual(on.flags.routeAllToLegacy, { value: true, source: 'admin' });
  assert.deepEqual(on.flags.cacheEnabled, { value: false, source: 'admin' });
  // An override equal to the default still says it is the operator's.
  const same = mergeState(env(), file(), overrides({ flags: { route_all_to_legacy: false, cache_enabled: true } }));
  assert.deepEqual(same.flags.routeAllToLegacy, { value: false, source: 'admin' });
  assert.deepEqual(same.flags.cacheEnabled, { value: true, source: 'admin' });
});

test("weights: the file's apply, an admin override beats them, and removing it returns to the file's", () => {
  const spec = route({ weights: { legacy: 90, new: 10 } });
  assert.deepEqual(mergeState(env(), file(spec), emptyOverrides()).routes.get('reports')!.newPercent, {
    value: 10,
    source: 'file',
  });
  const o = overrides({ routes: { reports: { weights: { legacy: 25, new: 75 } } } });
  assert.deepEqual(mergeState(env(), file(spec), o).routes.get('reports')!.newPercent, { value: 75, source: 'admin' });
  // An override for the other field leaves weights to the file.
  const other = overrides({ routes: { reports: { rollback: true } } });
  assert.deepEqual(mergeState(env(), file(spec), other).routes.get('reports')!.newPercent, {
    value: 10,
    source: 'file',
  });
  // Weights of 0 are a value, not an absence.
  const none = overrides({ routes: { reports: { weights: { legacy: 100, new: 0 } } } });
  assert.equal(mergeState(env(), file(spec), none).routes.get('reports')!.newPercent.value, 0);
});

test("route rollback: the file's applies; an admin override beats it both ways", () => {
  const rolled = route({ rollback: true });
  assert.deepEqual(mergeState(env(), file(rolled), emptyOverrides()).routes.get('reports')!.rollback, {
    value: true,
    source: 'file',
  });
  const undone = overrides({ routes: { reports: { rollback: false } } });
  assert.deepEqual(mergeState(env(), file(rolled), undone).routes.get('reports')!.rollback, {
    value: false,
    source: 'admin',
  });
  const forced = overrides({ routes: { reports: { rollback: true } } });
  assert.deepEqual(mergeState(env(), file(route()), forced).routes.get('reports')!.rollback, {
    value: true,
    source: 'admin',
  });
});

test('a rollback is per route: the override of one route leaves the others as the file says', () => {
  const o = overrides({ routes: { a: { rollback: true } } });
  const s = mergeState(env(), file(route({ id: 'a' }), route({ id: 'b', weights: { legacy: 50, new: 50 } })), o);
  assert.equal(s.routes.get('a')!.rollback.value, true);
  assert.equal(s.routes.get('b')!.rollback.value, false);
  assert.equal(s.routes.get('b')!.newPercent.value, 50);
});

test('overrides for routes the file does not hold are ignored', () => {
  const o = overrides({ routes: { gone: { rollback: true } } });
  assert.deepEqual([...mergeState(env(), file(route()), o).routes.keys()], ['reports']);
});

test('fallback and shadow come from the file, with their defaults filled in', () => {
  const s = mergeState(
    env(),
    file(
      route({ id: 'plain', fallback: true }),
      route({ id: 'tuned', fallback: { statuses: [502], breaker: { failures: 2, cooldown_s: 0.5 } } }),
      route({ id: 'shadowed', shadow: { to: 'legacy', ignore: ['$.generated_at'] } }),
    ),
    emptyOverrides(),
  );
  const plain = s.routes.get('plain')!;
  assert.deepEqual([...plain.fallback!], DEFAULT_FALLBACK_STATUSES);
  assert.deepEqual(plain.breaker, { failures: 5, cooldownMs: 10_000 });
  const tuned = s.routes.get('tuned')!;
  assert.deepEqual([...tuned.fallback!], [502]);
  assert.deepEqual(tuned.breaker, { failures: 2, cooldownMs: 500 });
  const shadowed = s.routes.get('shadowed')!;
  assert.equal(shadowed.fallback, undefined);
  assert.deepEqual(shadowed.shadow, {
    to: 'legacy',
    sample: 1,
    maxBodyBytes: 65_536,
    compareHeaders: ['content-type'],
    ignore: [['generated_at']],
    allowUnsafe: false,
  });
});

test('the inputs are not changed', () => {
  const spec = route({ weights: { legacy: 90, new: 10 } });
  const o = overrides({ flags: { cache_enabled: false }, routes: { reports: { rollback: true } } });
  const before = JSON.stringify([spec, o]);
  mergeState(env(), file(spec), o);
  assert.equal(JSON.stringify([spec, o]), before);
});

const rollout = (): NonNullable<RouteSpec['rollout']> => ({
  steps: [0, 1, 5, 25, 50, 100],
  step_interval_s: 300,
  min_requests: 200,
  gates: {},
  on_failure: 'rollback',
});

test("weights with a rollout: an admin override beats the rollout's step, which beats the file's", () => {
  const spec = route({ weights: { legacy: 90, new: 10 }, rollout: rollout() });
  const at = (o: Overrides, rollouts?: Map<string, number>) =>
    mergeState(env(), file(spec), o, rollouts).routes.get('reports')!.newPercent;
  assert.deepEqual(at(emptyOverrides()), { value: 10, source: 'file' });
  assert.deepEqual(at(emptyOverrides(), new Map([['reports', 25]])), { value: 25, source: 'rollout' });
  const admin = overrides({ routes: { reports: { weights: { legacy: 60, new: 40 } } } });
  assert.deepEqual(at(admin, new Map([['reports', 25]])), { value: 40, source: 'admin' });
  // A rollout's weight of 0 (step 0, a rollback, an abort) is a value, not an absence.
  assert.deepEqual(at(emptyOverrides(), new Map([['reports', 0]])), { value: 0, source: 'rollout' });
  // An admin override of another field leaves the weight to the rollout.
  const other = overrides({ routes: { reports: { rollback: true } } });
  assert.deepEqual(at(other, new Map([['reports', 25]])), { value: 25, source: 'rollout' });
});

test('a route with rollout: and no weights stays on legacy while its rollout is idle', () => {
  const s = mergeState(env(), file(route({ rollout: rollout() }), route({ id: 'plain' })), emptyOverrides());
  assert.deepEqual(s.routes.get('reports')!.newPercent, { value: 0, source: 'file' });
  // Without rollout: a route without weights is all new, as before.
  assert.deepEqual(s.routes.get('plain')!.newPercent, { value: 100, source: 'file' });
});

test("a rollout's weight applies to its own route only, and not to a route the file does not hold", () => {
  const rollouts = new Map([
    ['reports', 5],
    ['gone', 50],
  ]);
  const s = mergeState(env(), file(route({ rollout: rollout() }), route({ id: 'plain' })), emptyOverrides(), rollouts);
  assert.deepEqual(s.routes.get('reports')!.newPercent, { value: 5, source: 'rollout' });
  assert.deepEqual(s.routes.get('plain')!.newPercent, { value: 100, source: 'file' });
  assert.deepEqual([...s.routes.keys()], ['reports', 'plain']);
});

test("a rollout does not lift the floors: the route's rollback and ROUTE_ALL_TO_LEGACY stay as they are", () => {
  const spec = route({ rollback: true, rollout: rollout() });
  const s = mergeState(env({ routeAllToLegacy: true }), file(spec), emptyOverrides(), new Map([['reports', 100]]));
  assert.deepEqual(s.routes.get('reports')!.rollback, { value: true, source: 'file' });
  assert.deepEqual(s.flags.routeAllToLegacy, { value: true, source: 'env' });
});

test('a reload that removes rollout: ends its weight, whatever state the store still holds', () => {
  const spec = route({ weights: { legacy: 90, new: 10 } });
  const merged = mergeState(env(), file(spec), emptyOverrides(), new Map([['reports', 50]]));
  assert.deepEqual(merged.routes.get('reports')!.newPercent, { value: 10, source: 'file' });
});
