import assert from 'node:assert/strict';
import { test } from 'node:test';
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
