import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CountingUpstream } from '../support/counting-upstream';
import { startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { ADMIN_TOKEN, sideUpstream, waitFor } from '../support/migration';
import { startRedis, type RedisServer } from '../support/redis';
import { getSse } from '../support/sse-client';

let redis: RedisServer;
let legacy: CountingUpstream;
let a: RunningGateway;
let b: RunningGateway;

before(async () => {
  redis = await startRedis();
  legacy = await sideUpstream('legacy');
  const env = { LEGACY_URL: legacy.url, RATE_LIMIT: 'off', ADMIN_TOKEN, REDIS_URL: redis.url };
  [a, b] = await Promise.all([startGateway(env), startGateway(env)]);
  await Promise.all([waitReady(a), waitReady(b)]);
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await legacy?.close();
  await redis?.stop();
});

/** The first snapshot of an instance's stream. */
async function snapshot(gw: RunningGateway): Promise<any> {
  const stream = await getSse(`${gw.url}/admin/events`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    stopWhen: (e) => e.event === 'snapshot',
    timeoutMs: 10_000,
  });
  return stream.events[0].data;
}

test('the snapshot lists both instances sharing the store, each with a recent seen_at, whichever one is asked', async () => {
  const [idA, idB] = [(await snapshot(a)).instance, (await snapshot(b)).instance];
  assert.notEqual(idA, idB);
  for (const id of [idA, idB]) assert.match(id, /^.+-\d+-[0-9a-f]{6}$/, 'host-pid-random');
  // Each beats as it starts, so both are there almost at once; waitFor bounds it.
  let instances: { id: string; seen_at: string }[] = [];
  await waitFor(
    async () => {
      instances = (await snapshot(a)).instances;
      return [idA, idB].every((id) => instances.some((i) => i.id === id));
    },
    5_000,
    { detail: () => JSON.stringify(instances) },
  );
  assert.equal(instances.length, 2, JSON.stringify(instances));
  for (const i of instances) {
    const age = Date.now() - Date.parse(i.seen_at);
    assert.ok(age >= 0 && age < 120_000, `${i.id} seen ${age} ms ago`);
  }
  const fromB = (await snapshot(b)).instances.map((i: { id: string }) => i.id).sort();
  assert.deepEqual(fromB, [idA, idB].sort());
});
