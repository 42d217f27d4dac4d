import assert from 'node:assert/strict';
import { after, before, mock, test } from 'node:test';
import { storePrimitiveCases } from '../../test/support/store-cases';
import { MemoryStore } from './memory-store';

test('setIfAbsent has one winner among concurrent callers', async () => {
  const store = new MemoryStore();
  const wins = await Promise.all(
    Array.from({ length: 10 }, (_, i) => store.setIfAbsent('k', Buffer.from(String(i)), 60_000)),
  );
  assert.equal(wins.filter(Boolean).length, 1);
  assert.equal((await store.get('k'))!.toString(), String(wins.indexOf(true)));
  await store.close();
});

test('setIfAbsent writes over an expired entry', async () => {
  const store = new MemoryStore();
  await store.set('k', Buffer.from('old'), 1);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(await store.setIfAbsent('k', Buffer.from('new'), 60_000), true);
  assert.equal((await store.get('k'))!.toString(), 'new');
  await store.close();
});

// The rollout primitives, the same cases as against a real Redis (redis-store.spec.ts); one instance is both clients.
let shared: MemoryStore;
before(() => {
  shared = new MemoryStore();
});
after(() => shared.close());
storePrimitiveCases('memory', () => ({ a: shared, b: shared }));

/** `n` fields of three characters, each counting 1: about n * 19 bytes in the bound. */
const fields = (n: number) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${String(i).padStart(2, '0')}`, 1]));

test('counter hashes count in the byte bound: over it, cache entries go and the hashes stay', async () => {
  const store = new MemoryStore(1_000);
  await store.set('c1', Buffer.alloc(300), 60_000);
  await store.set('c2', Buffer.alloc(300), 60_000);
  await store.addCounts('h', fields(25), 60_000);
  assert.equal(await store.get('c1'), null, 'the oldest entry made room');
  assert.equal((await store.get('c2'))?.length, 300);
  assert.equal(Object.keys((await store.readCounts(['h']))[0]).length, 25);
  await store.close();
});

test('with the hashes alone over the bound, a swap or a lease that answered true is kept', async () => {
  const store = new MemoryStore(200);
  await store.addCounts('h', fields(25), 60_000);
  assert.equal(await store.swap('state', null, Buffer.from('s1'), 60_000), true);
  assert.equal((await store.get('state'))?.toString(), 's1');
  assert.equal(await store.holdLease('lease', 'A', 60_000), true);
  assert.equal((await store.get('lease'))?.toString(), 'A');
  await store.close();
});

test('the sweeper removes expired counter hashes and gives their bytes back', async (t) => {
  mock.timers.enable({ apis: ['setInterval', 'Date'] });
  t.after(() => mock.timers.reset());
  const store = new MemoryStore(1_000);
  await store.addCounts('short', fields(25), 1_000);
  await store.addCounts('long', { x: 1 }, 60_000);
  mock.timers.tick(31_000);
  const hashes = (store as unknown as { hashes: Map<string, unknown> }).hashes;
  assert.deepEqual([...hashes.keys()], ['long']);
  // 25 fields held about 475 bytes: with them still counted, these two would not both fit.
  await store.set('c1', Buffer.alloc(600), 60_000);
  await store.set('c2', Buffer.alloc(300), 60_000);
  assert.ok((await store.get('c1')) && (await store.get('c2')), 'both entries fit once the hash is gone');
  await store.close();
});

test('a value written by swap or holdLease is state, not cache: cache writes over the bound never evict it', async () => {
  const store = new MemoryStore(200);
  assert.equal(await store.swap('figway:rollout:{r}', null, Buffer.alloc(40), 60_000), true);
  assert.equal(await store.holdLease('figway:rollout-judge', 'me', 60_000), true);
  // Least recently used first would take the two above; the cache entries go instead.
  for (let i = 0; i < 10; i++) await store.set(`cache:${i}`, Buffer.alloc(40), 60_000);
  assert.equal((await store.get('figway:rollout:{r}'))?.length, 40);
  assert.equal(await store.holdLease('figway:rollout-judge', 'other', 60_000), false);
  assert.equal(await store.get('cache:0'), null);
  await store.close();
});
