import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startRedis, type RedisServer } from '../support/redis';

let redis: RedisServer;
let upstream: CountingUpstream;
let open: RunningGateway;
let closed: RunningGateway;

before(async () => {
  redis = await startRedis();
  upstream = await startCountingUpstream();
  const env = { LEGACY_URL: upstream.url, REDIS_URL: redis.url, RATE_LIMIT: '5/60s' };
  [open, closed] = await Promise.all([
    startGateway({ ...env, RATE_LIMIT_FAIL_OPEN: 'true' }),
    startGateway({ ...env, RATE_LIMIT_FAIL_OPEN: 'false' }),
  ]);
  await Promise.all([open, closed].map((gw) => waitReady(gw)));
  for (const gw of [open, closed]) assert.equal((await send(`${gw.url}/api/v1/warm`)).status, 200);
  await redis.stop();
});
after(async () => {
  await Promise.all([open?.stop(), closed?.stop()]);
  await upstream?.close();
  await redis?.stop();
});

test('fail-open: with Redis dead, requests still flow, limited per instance in memory, quickly', async () => {
  const statuses: number[] = [];
  let slowest = 0;
  for (let i = 0; i < 8; i++) {
    const t = Date.now();
    statuses.push((await send(`${open.url}/api/v1/things`)).status);
    slowest = Math.max(slowest, Date.now() - t);
  }
  assert.equal(statuses.filter((s) => s === 200).length, 5, statuses.join(','));
  assert.ok(
    statuses.slice(5).every((s) => s === 429),
    statuses.join(','),
  );
  assert.ok(slowest < 1_000, `a request took ${slowest} ms with Redis down`);
});

test('fail-closed: with Redis dead, requests are refused with 503 problem+json, never forwarded', async () => {
  const before = upstream.hits();
  const res = await send(`${closed.url}/api/v1/things`);
  assert.equal(res.status, 503);
  assert.equal(res.json().code, 'RATE_LIMIT_UNAVAILABLE');
  assert.equal(upstream.hits(), before);
  assert.equal((await send(`${closed.url}/health`)).status, 200, 'health is never rate limited');
});
