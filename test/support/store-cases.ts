import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KeyValueStore } from '../../src/store/key-value-store';
import { waitFor } from './wait';

/**
 * Two clients of one store: two connections to one Redis (or Cluster), or the same MemoryStore twice (memory mode
 * is one instance). `pttl` is the TTL the store reports for a key (Redis PTTL); undefined where it cannot say.
 */
export interface StorePair {
  a: KeyValueStore;
  b: KeyValueStore;
  pttl?(key: string): Promise<number>;
}

const text = (b: Buffer | null) => b?.toString('utf8') ?? null;

/**
 * The rollout autopilot's store primitives (issue 20), the same cases for every store. `pair` is called inside each
 * test (the stores are opened in a `before`). Every key of a case shares the hash tag `{<kind>:<case>}`, as the
 * callers' keys do, so a Redis Cluster serves a case's readCounts from one node.
 */
export function storePrimitiveCases(kind: string, pair: () => StorePair): void {
  const key = (name: string, part = '') => `figway:test:{${kind}:${name}}${part}`;
  countCases(kind, pair, key);
  swapCases(kind, pair, key);
  leaseCases(kind, pair, key);
}

type KeyOf = (name: string, part?: string) => string;

function countCases(kind: string, pair: () => StorePair, key: KeyOf): void {
  test(`${kind}: addCounts sums across calls and across clients, also when they add at once`, async () => {
    const { a, b } = pair();
    const k = key('sum');
    await a.addCounts(k, { x: 1, y: 2 }, 60_000);
    await b.addCounts(k, { x: 3, z: -4 }, 60_000);
    assert.deepEqual(await a.readCounts([k]), [{ x: 4, y: 2, z: -4 }]);
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).addCounts(k, { x: 1, w: 2 }, 60_000)));
    assert.deepEqual(await b.readCounts([k]), [{ x: 24, y: 2, z: -4, w: 40 }]);
  });

  test(`${kind}: addCounts sets the hash's TTL on every call, and the hash expires`, async () => {
    const { a, b, pttl } = pair();
    const k = key('ttl');
    await a.addCounts(k, { x: 1 }, 60_000);
    await a.addCounts(k, { x: 1 }, 300);
    if (pttl) {
      const left = await pttl(k);
      assert.ok(left > 0 && left <= 300, `PTTL ${left}`);
    }
    assert.deepEqual(await b.readCounts([k]), [{ x: 2 }]);
    await waitFor(async () => (await b.readCounts([k]))[0].x === undefined, 5_000, { what: 'the hash to expire' });
    await a.addCounts(k, { x: 5 }, 60_000);
    assert.deepEqual(await b.readCounts([k]), [{ x: 5 }], 'an expired hash starts from zero');
  });

  test(`${kind}: addCounts rejects a count that is not a safe integer and writes none of the call's fields`, async () => {
    const { a } = pair();
    const k = key('int');
    await a.addCounts(k, { x: 1 }, 60_000);
    for (const bad of [1.5, NaN, Infinity, -Infinity, 2 ** 53])
      await assert.rejects(a.addCounts(k, { x: 2, y: bad }, 60_000), RangeError, String(bad));
    assert.deepEqual(await a.readCounts([k]), [{ x: 1 }]);
  });

  test(`${kind}: readCounts answers in the order asked, {} for a missing key, values as numbers`, async () => {
    const { a, b } = pair();
    const [k1, k2, k3] = [key('order', ':1'), key('order', ':2'), key('order', ':3')];
    await a.addCounts(k3, { 'l.n': 7 }, 60_000);
    await a.addCounts(k1, { 'l.n': 1, 'n.h3': 2 }, 60_000);
    assert.deepEqual(await b.readCounts([k1, k2, k3]), [{ 'l.n': 1, 'n.h3': 2 }, {}, { 'l.n': 7 }]);
    assert.deepEqual(await b.readCounts([k3, k1]), [{ 'l.n': 7 }, { 'l.n': 1, 'n.h3': 2 }]);
    assert.deepEqual(await b.readCounts([]), []);
  });
}

function swapCases(kind: string, pair: () => StorePair, key: KeyOf): void {
  test(`${kind}: swap writes from absent, from the expected value, and refuses a mismatch`, async () => {
    const { a, b, pttl } = pair();
    const k = key('swap');
    // Not UTF-8 and with a NUL: the compare is on bytes.
    const v1 = Buffer.from([0xff, 0x00, 0xfe, 0x31]);
    const v2 = Buffer.from('v2');
    assert.equal(await a.swap(k, null, v1, 60_000), true, 'from absent');
    assert.deepEqual(await b.get(k), v1);
    assert.equal(await b.swap(k, null, v2, 60_000), false, 'expected absent, found a value');
    assert.equal(await b.swap(k, v1.subarray(0, 3), v2, 60_000), false, 'a prefix of the value is a mismatch');
    assert.equal(await b.swap(k, Buffer.from([0xff, 0x00, 0xfe, 0x32]), v2, 60_000), false, 'other bytes');
    assert.deepEqual(await a.get(k), v1, 'a refused swap writes nothing');
    assert.equal(await b.swap(k, Buffer.from(v1), v2, 60_000), true, 'from the expected value');
    assert.equal(text(await a.get(k)), 'v2');
    if (pttl) assert.ok((await pttl(k)) > 59_000, 'the swap sets the TTL');
    assert.equal(await a.swap(key('swap-absent'), Buffer.from('x'), v2, 60_000), false, 'expected a value, absent');
    assert.equal(await a.get(key('swap-absent')), null);
  });

  test(`${kind}: ten swaps at once from the same expected value: exactly one wins, and its value stays`, async () => {
    const { a, b } = pair();
    for (const start of [null, Buffer.from('base')]) {
      const k = key(`race-${start ? 'value' : 'absent'}`);
      if (start) assert.equal(await a.swap(k, null, start, 60_000), true);
      const wins = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).swap(k, start, Buffer.from(`n${i}`), 60_000)),
      );
      assert.equal(wins.filter(Boolean).length, 1, `from ${text(start)}: ${wins.join(',')}`);
      assert.equal(text(await a.get(k)), `n${wins.indexOf(true)}`);
    }
  });

  test(`${kind}: a swapped value expires after its TTL`, async () => {
    const { a } = pair();
    const k = key('swap-ttl');
    assert.equal(await a.swap(k, null, Buffer.from('x'), 300), true);
    await waitFor(async () => (await a.get(k)) === null, 5_000, { what: 'the value to expire' });
    assert.equal(await a.swap(k, null, Buffer.from('y'), 60_000), true, 'absent again once expired');
  });
}

function leaseCases(kind: string, pair: () => StorePair, key: KeyOf): void {
  test(`${kind}: lease: the first owner wins, a second is refused, the owner renews for the new TTL`, async () => {
    const { a, b, pttl } = pair();
    const k = key('lease');
    assert.equal(await a.holdLease(k, 'A', 300), true);
    assert.equal(await b.holdLease(k, 'B', 60_000), false);
    assert.equal(await a.holdLease(k, 'A', 60_000), true, 'the owner renews');
    if (pttl) assert.ok((await pttl(k)) > 59_000, 'renewed for the new TTL');
    // Proving an absence: past the first 300 ms term, the renewed lease still holds (a fixed wait is the point).
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await b.holdLease(k, 'B', 60_000), false, 'still held after the first term');
    assert.equal(await a.holdLease(k, 'A', 60_000), true);
  });

  test(`${kind}: lease: ten owners at once on a free lease, exactly one holds it`, async () => {
    const { a, b } = pair();
    const k = key('lease-race');
    const held = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).holdLease(k, `owner-${i}`, 60_000)),
    );
    assert.equal(held.filter(Boolean).length, 1, held.join(','));
    assert.equal(text(await a.get(k)), `owner-${held.indexOf(true)}`);
  });

  test(`${kind}: lease: another owner takes it once it expires`, async () => {
    const { a, b } = pair();
    const k = key('lease-ttl');
    assert.equal(await a.holdLease(k, 'A', 300), true);
    assert.equal(await b.holdLease(k, 'B', 60_000), false);
    await waitFor(() => b.holdLease(k, 'B', 60_000), 5_000, { what: 'B to take the expired lease' });
    assert.equal(await a.holdLease(k, 'A', 60_000), false, 'the old owner lost it');
  });

  test(`${kind}: lease: a release by another owner does nothing, the owner's release frees it`, async () => {
    const { a, b } = pair();
    const k = key('lease-release');
    assert.equal(await a.holdLease(k, 'A', 60_000), true);
    await b.releaseLease(k, 'B');
    assert.equal(text(await b.get(k)), 'A', 'still held by A');
    assert.equal(await b.holdLease(k, 'B', 60_000), false);
    await a.releaseLease(k, 'A');
    assert.equal(await b.get(k), null);
    assert.equal(await b.holdLease(k, 'B', 60_000), true, 'free after the release');
    await a.releaseLease(k, 'A');
    assert.equal(text(await a.get(k)), 'B', 'a late release by the old owner leaves the new one');
  });
}
