import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RolloutSpec } from '../config';
import { StoreUnavailableError, type KeyValueStore } from '../store/key-value-store';
import { MemoryStore } from '../store/memory-store';
import { emptyEvidence, recordInto, toFields } from './evidence';
import { evidenceKey } from './evidence-recorder';
import { JudgeLoop, type JudgeDeps } from './judge-loop';
import { applyAction, type RolloutState } from './rollout-state';
import { RolloutStore } from './rollout-store';

const SPEC: RolloutSpec = {
  steps: [25, 100],
  step_interval_s: 2,
  min_requests: 10,
  gates: { max_error_rate: 0.1 },
  on_failure: 'rollback',
};
const T0 = 1_800_000_000_000;

/** A store whose every call fails while `down` is set, as a Redis outage does (StoreUnavailableError). */
function failable(inner: KeyValueStore) {
  const state = { down: false };
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) =>
        state.down
          ? Promise.reject(new StoreUnavailableError(new Error('connection refused')))
          : (v as (...a: unknown[]) => unknown).apply(target, args);
    },
  });
  return { store, state };
}

async function setUp(instance = 'i1', shared?: KeyValueStore) {
  const kv = shared ?? new MemoryStore();
  const states = new RolloutStore(kv);
  const lines: string[] = [];
  const decided: RolloutState[] = [];
  const deps: JudgeDeps = {
    store: kv,
    states,
    intervalMs: 500,
    instance,
    routes: () => ['items'],
    specOf: () => SPEC,
    floor: () => undefined,
    decided: (_route, _verdict, next) => void decided.push(next),
    log: { log: (m) => void lines.push(String(m)), warn: (m) => void lines.push(String(m)) },
  };
  return { kv, states, lines, decided, loop: new JudgeLoop(deps) };
}

/** Starts the rollout at T0 and puts `n` healthy new-side requests (and legacy ones) in the second after. */
async function started(kv: KeyValueStore, states: RolloutStore, n = 20) {
  await states.update('items', (s) => applyAction(s, SPEC, 'start', T0));
  const ev = emptyEvidence();
  for (let i = 0; i < n; i++) {
    recordInto(ev.new, 5, false);
    recordInto(ev.legacy, 5, false);
  }
  await kv.addCounts(evidenceKey('items', T0 / 1000 + 1), toFields(ev), 60_000);
}

test('the judge sums the settled seconds and advances a step whose gates hold for its interval', async () => {
  const { kv, states, loop } = await setUp();
  await started(kv, states);
  // 1.5 s in: the second holding the evidence is not settled yet, and the interval is not over.
  await loop.tick(T0 + 1_500);
  assert.equal((await states.read('items')).state.step, 0);
  await loop.tick(T0 + 4_000);
  const s = (await states.read('items')).state;
  assert.deepEqual([s.state, s.step, s.weight], ['running', 1, 100]);
  assert.equal(s.decisions.at(-1)?.decision, 'advance');
  assert.equal(s.decisions.at(-1)?.evidence?.requests, 20);
});

test('a store that does not answer pauses judging, says so once, and nothing moves; judging resumes after', async () => {
  const { store, state } = failable(new MemoryStore());
  const { states, lines, loop } = await setUp('i1', store);
  await started(store, states);
  state.down = true;
  await loop.tick(T0 + 4_000);
  await loop.tick(T0 + 4_500);
  assert.equal(lines.filter((l) => l.startsWith('rollout judging paused')).length, 1, lines.join('\n'));
  state.down = false;
  assert.equal((await states.read('items')).state.step, 0, 'nothing advanced on missing evidence');
  await loop.tick(T0 + 5_000);
  assert.ok(
    lines.some((l) => l.startsWith('rollout judging resumed')),
    lines.join('\n'),
  );
  assert.equal((await states.read('items')).state.step, 1);
});

test('one judge at a time: the instance without the lease decides nothing until the lease expires', async () => {
  const shared = new MemoryStore();
  const a = await setUp('a', shared);
  const b = await setUp('b', shared);
  await started(shared, a.states);
  await a.loop.tick(T0 + 1_000);
  await b.loop.tick(T0 + 4_000);
  assert.equal(b.decided.length, 0, 'b judged while a held the lease');
  await a.loop.close(); // releases the lease, as an instance that stops does
  await b.loop.tick(T0 + 4_000);
  assert.equal((await b.states.read('items')).state.decisions.at(-1)?.by, 'judge@b');
});

test("a verdict loses to an operator's change made meanwhile: the operator's state stays", async () => {
  const { kv, states, loop } = await setUp();
  await started(kv, states);
  const read = states.read.bind(states);
  // Between the judge's read and its swap, an operator pauses the rollout.
  states.read = async (route) => {
    states.read = read;
    const r = await read(route);
    await states.update(route, (s) => applyAction(s, SPEC, 'pause', T0 + 3_000));
    return r;
  };
  await loop.tick(T0 + 4_000);
  const s = (await states.read('items')).state;
  assert.deepEqual([s.state, s.step], ['paused', 0]);
});
