import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startRedis, startRedisCluster, type RedisGroup, type RedisServer } from '../../test/support/redis';
import { storePrimitiveCases, type StorePair } from '../../test/support/store-cases';
import { waitFor } from '../../test/support/wait';
import { redisUrlSchema, type RedisTarget } from '../config/redis-target';
import { StoreUnavailableError } from './key-value-store';
import { createRedisClient } from './redis-client';
import { RedisStore } from './redis-store';

/** Two stores on two connections made as the gateway makes them (no offline queue, short timeouts). */
async function openPair(
  target: RedisTarget,
): Promise<StorePair & { a: RedisStore; b: RedisStore; close(): Promise<void> }> {
  const [a, b] = [new RedisStore(createRedisClient(target)), new RedisStore(createRedisClient(target))];
  for (const s of [a, b]) {
    s.redis.on('error', () => undefined);
    assert.equal(await s.connected(10_000), true, 'connected');
  }
  return {
    a,
    b,
    pttl: (key) => a.redis.pttl(key),
    close: async () => {
      await a.close();
      await b.close();
    },
  };
}

const calls = (s: RedisStore) => ({
  addCounts: () => s.addCounts('figway:test:{down}:1', { x: 1 }, 60_000),
  readCounts: () => s.readCounts(['figway:test:{down}:1', 'figway:test:{down}:2']),
  swap: () => s.swap('figway:test:{down}', null, Buffer.from('x'), 60_000),
  holdLease: () => s.holdLease('figway:test:{down}:lease', 'A', 60_000),
  releaseLease: () => s.releaseLease('figway:test:{down}:lease', 'A'),
});

/** Each call rejects with StoreUnavailableError, well within the client's timeouts (no hang). */
async function allRefused(s: RedisStore, when: string) {
  for (const [name, call] of Object.entries(calls(s))) {
    const started = Date.now();
    await assert.rejects(call(), StoreUnavailableError, `${name} ${when}`);
    assert.ok(Date.now() - started < 3_000, `${name} ${when} took ${Date.now() - started} ms`);
  }
}

describe('RedisStore primitives against one redis-server', () => {
  let server: RedisServer;
  let pair: Awaited<ReturnType<typeof openPair>>;
  before(async () => {
    server = await startRedis();
    pair = await openPair({ mode: 'single', url: server.url });
  });
  after(async () => {
    await pair?.close();
    await server?.stop();
  });
  storePrimitiveCases('redis', () => pair);
});

describe('RedisStore primitives against a three-master Redis Cluster', () => {
  let cluster: RedisGroup;
  let pair: Awaited<ReturnType<typeof openPair>>;
  before(async () => {
    cluster = await startRedisCluster();
    pair = await openPair(redisUrlSchema.parse(cluster.url));
  });
  after(async () => {
    await pair?.close();
    await cluster?.stop();
  });
  storePrimitiveCases('cluster', () => pair);

  test('cluster: readCounts of keys in different slots is refused as a whole, not answered in part', async () => {
    // Callers name a stretch's keys with one hash tag; keys without one land on different masters.
    const keys = Array.from({ length: 12 }, (_, i) => `figway:test:untagged:${i}`);
    await Promise.all(keys.map((k) => pair.a.addCounts(k, { x: 1 }, 60_000)));
    await assert.rejects(pair.a.readCounts(keys), StoreUnavailableError);
  });

  test('cluster: with every master gone, each primitive rejects with StoreUnavailableError', async () => {
    const store = pair.a;
    for (const call of Object.values(calls(store))) await call();
    await cluster.stop();
    await allRefused(store, 'right after the stop');
    await waitFor(() => store.redis.status !== 'ready', 5_000, { what: 'the client to see the cluster gone' });
    await allRefused(store, `with the client ${store.redis.status}`);
  });
});

describe('RedisStore primitives with the redis-server gone', () => {
  let server: RedisServer;
  let store: RedisStore;
  before(async () => {
    server = await startRedis();
    store = new RedisStore(createRedisClient({ mode: 'single', url: server.url }));
    store.redis.on('error', () => undefined);
    assert.equal(await store.connected(10_000), true);
  });
  after(async () => {
    await store?.close();
    await server?.stop();
  });

  test('every primitive rejects with StoreUnavailableError, at once and once the client has seen it go', async () => {
    for (const call of Object.values(calls(store))) await call();
    const client = store.redis;
    await server.stop();
    await allRefused(store, 'right after the stop');
    await waitFor(() => client.status !== 'ready', 5_000, { what: 'the client to see the server gone' });
    await allRefused(store, `with the client ${client.status}`);
    assert.deepEqual(await store.readCounts([]), [], 'no keys: no round trip, so no failure');
  });
});
