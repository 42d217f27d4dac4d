import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startLegacy, type LegacyApp } from '../support/legacy-flask';
import { legacyLogin } from '../support/legacy-login';
import { startRedis, type RedisServer } from '../support/redis';
import { TEST_JWT_SECRET } from '../support/tokens';

let legacy: LegacyApp;
let redis: RedisServer;
let a: RunningGateway;
let b: RunningGateway;

before(async () => {
  [legacy, redis] = await Promise.all([startLegacy(), startRedis()]);
  const env = { LEGACY_URL: legacy.url, REDIS_URL: redis.url, JWT_SECRET: TEST_JWT_SECRET, RATE_LIMIT: 'off' };
  [a, b] = await Promise.all([startGateway(env), startGateway(env)]);
  await Promise.all([waitReady(a), waitReady(b)]);
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await Promise.all([legacy?.stop(), redis?.stop()]);
});

const sameOrigin = (g: RunningGateway) => ({ origin: g.url, host: new URL(g.url).host });

async function exchange(g: RunningGateway) {
  const cookie = await legacyLogin(g.url);
  const res = await send(`${g.url}/api/v2/auth/token`, { method: 'POST', headers: { cookie, ...sameOrigin(g) } });
  assert.equal(res.status, 200, res.body.toString());
  return res.json() as { access_token: string; refresh_token: string; expires_in: number; refresh_expires_in: number };
}

const me = (g: RunningGateway, token: string) =>
  send(`${g.url}/api/v2/me`, { headers: { authorization: `Bearer ${token}` } });
const refresh = (g: RunningGateway, token: string) =>
  send(`${g.url}/api/v2/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refresh_token: token }),
  });

test('a legacy session logged in through the gateway is exchanged for tokens that work as bearer', async () => {
  const t = await exchange(a);
  assert.equal(t.expires_in, 900);
  assert.equal(t.refresh_expires_in, 604_800);
  const res = await me(a, t.access_token);
  assert.equal(res.status, 200);
  assert.deepEqual([res.json().user_id, res.json().method], ['1', 'jwt']);
});

test('tokens issued by one instance are honoured by another sharing the store', async () => {
  const t = await exchange(a);
  assert.equal((await me(b, t.access_token)).status, 200);
  const rotated = await refresh(b, t.refresh_token);
  assert.equal(rotated.status, 200);
  assert.equal((await me(a, rotated.json().access_token)).status, 200);
});

test('refresh rotates; presenting a used refresh token revokes the whole family', async () => {
  const t = await exchange(a);
  const first = await refresh(a, t.refresh_token);
  assert.equal(first.status, 200);
  const next = first.json();
  assert.notEqual(next.refresh_token, t.refresh_token);

  const replay = await refresh(b, t.refresh_token);
  assert.equal(replay.status, 401);
  assert.equal(replay.json().reason, 'refresh_reused');
  assert.equal(
    (await refresh(a, next.refresh_token)).json().reason,
    'refresh_revoked',
    "the thief's newer token dies too",
  );
  assert.equal((await me(b, next.access_token)).json().reason, 'token_revoked', "and so do the family's access tokens");
});

test('logout revokes the access token and its refresh family on every instance', async () => {
  const t = await exchange(a);
  const out = await send(`${b.url}/api/v2/auth/logout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.access_token}` },
  });
  assert.equal(out.status, 204);
  assert.equal((await me(a, t.access_token)).json().reason, 'token_revoked');
  assert.equal((await refresh(a, t.refresh_token)).json().reason, 'refresh_revoked');
});

test('the exchange needs a legacy session and refuses a cross-site request', async () => {
  const none = await send(`${a.url}/api/v2/auth/token`, { method: 'POST', headers: sameOrigin(a) });
  assert.equal(none.status, 401);
  assert.equal(none.json().reason, 'session_invalid');
  const cookie = await legacyLogin(a.url);
  const crossSite = await send(`${a.url}/api/v2/auth/token`, {
    method: 'POST',
    headers: { cookie, origin: 'https://evil.example' },
  });
  assert.equal(crossSite.status, 403);
  assert.equal(crossSite.json().code, 'CSRF_REJECTED');
});

test('a malformed refresh request is a 422 problem, an unknown token a 401', async () => {
  const bad = await send(`${a.url}/api/v2/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"refresh_token": 5}',
  });
  assert.equal(bad.status, 422);
  const notJson = await send(`${a.url}/api/v2/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{nope',
  });
  assert.equal(notJson.status, 400);
  assert.match(String(notJson.headers['content-type']), /problem\+json/);
  assert.equal((await refresh(a, 'made-up')).json().reason, 'refresh_invalid');
});
