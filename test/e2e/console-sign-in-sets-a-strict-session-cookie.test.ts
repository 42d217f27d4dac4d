import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import Redis from 'ioredis';
import { postSession, parseSetCookie, withCookie } from '../support/console';
import type { CountingUpstream } from '../support/counting-upstream';
import { startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { ADMIN_TOKEN, sideUpstream } from '../support/migration';
import { startRedis, type RedisServer } from '../support/redis';

let redis: RedisServer;
let legacy: CountingUpstream;
let gw: RunningGateway;

before(async () => {
  redis = await startRedis();
  legacy = await sideUpstream('legacy');
  gw = await startGateway({ LEGACY_URL: legacy.url, RATE_LIMIT: 'off', ADMIN_TOKEN, REDIS_URL: redis.url });
  await waitReady(gw);
});
after(async () => {
  await gw?.stop();
  await legacy?.close();
  await redis?.stop();
});

test('signing in with the admin token sets an HttpOnly, SameSite=Strict, 30-minute cookie for /admin, kept in the store by its hash', async () => {
  const res = await postSession(gw.url, { token: ADMIN_TOKEN });
  assert.equal(res.status, 204, res.body.toString());
  const cookie = parseSetCookie(res);
  assert.equal(cookie.name, 'figway_admin');
  // 32 random bytes, base64url without padding.
  assert.match(cookie.value, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(cookie.attrs.get('path'), '/admin');
  assert.ok(cookie.attrs.has('httponly'), 'HttpOnly');
  assert.equal(cookie.attrs.get('samesite'), 'Strict');
  assert.equal(cookie.attrs.get('max-age'), '1800');
  assert.ok(!cookie.attrs.has('secure'), 'plain HTTP: no Secure (a browser would drop the cookie)');
  assert.ok(!res.body.toString().includes(ADMIN_TOKEN), 'the token is never echoed');

  const state = await withCookie(gw.url, `figway_admin=${cookie.value}`, 'GET', '/admin/session');
  assert.equal(state.status, 200);
  assert.equal(state.headers['cache-control'], 'no-store');
  const { signed_in, expires_at } = state.json();
  assert.equal(signed_in, true);
  const left = Date.parse(expires_at) - Date.now();
  assert.ok(left > 29 * 60_000 && left <= 30 * 60_000, `expires in ${left} ms`);

  // The store holds the id's SHA-256, never the id, with the session's TTL.
  const client = new Redis(redis.url);
  try {
    const key = `figway:admin-session:${createHash('sha256').update(cookie.value).digest('hex')}`;
    const ttl = await client.pttl(key);
    assert.ok(ttl > 29 * 60_000 && ttl <= 30 * 60_000, `TTL ${ttl} ms`);
    assert.deepEqual(await client.keys(`*${cookie.value}*`), []);
  } finally {
    client.disconnect();
  }

  const signedOut = await withCookie(gw.url, 'figway_admin=', 'GET', '/admin/session');
  assert.deepEqual(signedOut.json(), { signed_in: false, expires_at: null });
});
