import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CONSOLE_HEADERS, signIn, withCookie } from '../support/console';
import type { CountingUpstream } from '../support/counting-upstream';
import { startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { ADMIN_TOKEN, sideUpstream } from '../support/migration';
import { startRedis, type RedisServer } from '../support/redis';

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

test('a session signed in on one instance is accepted by a second sharing the store, for pages and changes alike', async () => {
  const cookie = await signIn(a.url);
  assert.equal((await withCookie(b.url, cookie, 'GET', '/admin/session')).json().signed_in, true);
  const page = await withCookie(b.url, cookie, 'GET', '/admin/');
  assert.match(page.body.toString(), /<div id="app">/);
  assert.equal((await withCookie(b.url, cookie, 'GET', '/admin/assets/console.js')).status, 200);
  const put = await withCookie(b.url, cookie, 'PUT', '/admin/flags', { headers: CONSOLE_HEADERS, body: {} });
  assert.equal(put.status, 200, put.body.toString());
});
