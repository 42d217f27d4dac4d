import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import jwt from 'jsonwebtoken';
import { routesFile, startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startLegacy, type LegacyApp } from '../support/legacy-flask';
import { legacyLogin } from '../support/legacy-login';
import { startRecordingUpstream } from '../support/recording-upstream';
import { startRedis, type RedisServer } from '../support/redis';
import { TEST_JWT_SECRET } from '../support/tokens';

// Abuse of the gateway's own tokens (RFC 9700 4.14 refresh token protection, RFC 8725 3.11 token confusion) and
// of two credentials naming two users at once. Tokens come from a real exchange of a real Flask session; every
// gateway forwards to a recording upstream so a refusal is also proven by what legacy never received.

let up: Awaited<ReturnType<typeof startRecordingUpstream>>;
let redis: RedisServer;
let legacy: LegacyApp;
const gw: Record<'off' | 'legacy_session' | 'legacy_only', RunningGateway> = {} as never;
let alice: string; // Cookie header of alice (legacy user 1)
let bob: string; // Cookie header of bob (legacy user 2)

before(async () => {
  [up, redis, legacy] = await Promise.all([startRecordingUpstream(), startRedis(), startLegacy()]);
  const routes = routesFile(`
routes:
  - { id: guarded, path: /api/v1/guarded/*, target: legacy, auth: required }
`);
  const base = {
    LEGACY_URL: up.url,
    ROUTES_FILE: routes,
    RATE_LIMIT: 'off',
    JWT_SECRET: TEST_JWT_SECRET,
    REDIS_URL: redis.url,
    LEGACY_SESSION_MODE: 'flask_cookie',
    LEGACY_SECRET_KEY: 'dev-legacy-secret',
  };
  [gw.off, gw.legacy_session, gw.legacy_only] = await Promise.all(
    (['off', 'legacy_session', 'legacy_only'] as const).map((m) => startGateway({ ...base, FALLBACK_AUTH: m })),
  );
  await Promise.all(Object.values(gw).map((g) => waitReady(g)));
  [alice, bob] = await Promise.all([legacyLogin(legacy.url), legacyLogin(legacy.url, 'bob', 'builder')]);
});
after(async () => {
  await Promise.all(Object.values(gw).map((g) => g.stop()));
  await Promise.all([up?.close(), redis?.stop(), legacy?.stop()]);
});

interface Pair {
  access_token: string;
  refresh_token: string;
}
const g = () => gw.legacy_session;
const sameOrigin = () => ({ origin: g().url, host: new URL(g().url).host });

async function exchange(cookie = alice): Promise<Pair> {
  const res = await send(`${g().url}/api/v2/auth/token`, { method: 'POST', headers: { cookie, ...sameOrigin() } });
  assert.equal(res.status, 200, res.body.toString());
  return res.json();
}
const refresh = (token: string) =>
  send(`${g().url}/api/v2/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refresh_token: token }),
  });

/** A bearer refused on the proxied route, with the reason, and nothing forwarded. */
async function bearerRefused(token: string, reason: string, gateway = g()) {
  up.received.length = 0;
  const res = await send(`${gateway.url}/api/v1/guarded/x`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 401, res.body.toString());
  assert.match(String(res.headers['content-type']), /application\/problem\+json/);
  assert.equal(res.json().reason, reason);
  assert.equal(up.received.length, 0, 'legacy never saw the request');
}

/** The identity legacy was told about, as exact field lists (one value each, or the mix shows). */
async function identitySent(headers: Record<string, string>, gateway = g()) {
  up.received.length = 0;
  const res = await send(`${gateway.url}/api/v1/guarded/x`, { headers });
  assert.equal(res.status, 200, res.body.toString());
  const r = up.received[0];
  return [r.fields.get('x-figway-user-id'), r.fields.get('x-figway-auth-method')];
}

test('a refresh token replayed after rotation is refused and revokes the whole family', async () => {
  const first = await exchange();
  const rotated = await refresh(first.refresh_token);
  assert.equal(rotated.status, 200);
  const second = rotated.json() as Pair;

  const replay = await refresh(first.refresh_token);
  assert.equal(replay.status, 401);
  assert.match(String(replay.headers['content-type']), /application\/problem\+json/);
  assert.equal(replay.json().reason, 'refresh_reused');
  assert.equal(
    (await refresh(second.refresh_token)).json().reason,
    'refresh_revoked',
    'the newest refresh token dies too',
  );
  await bearerRefused(second.access_token, 'token_revoked');
  await bearerRefused(first.access_token, 'token_revoked');
  assert.equal((await refresh(first.refresh_token)).status, 401, 'and stays dead');
});

test('two refreshes racing on one token: at most one wins, and the race itself revokes the family', async () => {
  const pair = await exchange();
  const answers = await Promise.all(Array.from({ length: 4 }, () => refresh(pair.refresh_token)));
  const won = answers.filter((a) => a.status === 200);
  assert.ok(won.length <= 1, `winners: ${won.length}`);
  assert.ok(answers.some((a) => a.status === 401 && a.json().reason === 'refresh_reused'));
  for (const w of won) {
    await bearerRefused(w.json().access_token, 'token_revoked');
    assert.equal((await refresh(w.json().refresh_token)).status, 401);
  }
});

test('after logout neither the refresh token nor the access token works', async () => {
  const pair = await exchange();
  const out = await send(`${g().url}/api/v2/auth/logout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${pair.access_token}` },
  });
  assert.equal(out.status, 204);
  const res = await refresh(pair.refresh_token);
  assert.equal(res.status, 401);
  assert.equal(res.json().reason, 'refresh_revoked');
  await bearerRefused(pair.access_token, 'token_revoked');
  // Logout takes the access token: a refresh token cannot be used to log someone else's sign-in out, nor in.
  const viaRefresh = await send(`${g().url}/api/v2/auth/logout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${pair.refresh_token}` },
  });
  assert.equal(viaRefresh.status, 401);
});

test('a refresh token is not an access token, and an access token is not a refresh token', async () => {
  const pair = await exchange();
  await bearerRefused(pair.refresh_token, 'token_malformed');
  const me = await send(`${g().url}/api/v2/me`, { headers: { authorization: `Bearer ${pair.refresh_token}` } });
  assert.equal(me.status, 401);
  const asRefresh = await refresh(pair.access_token);
  assert.equal(asRefresh.status, 401);
  assert.equal(asRefresh.json().reason, 'refresh_invalid');
  // The family prefix of a refresh token is visible; naming another family with it grants nothing.
  const other = await exchange(bob);
  const [, secret] = pair.refresh_token.split('.');
  assert.equal((await refresh(`${other.refresh_token.split('.')[0]}.${secret}`)).json().reason, 'refresh_invalid');
  // A JWT the gateway signed but with claims edited is refused (the signature covers them).
  const [h, , s] = pair.access_token.split('.');
  const edited = Buffer.from(JSON.stringify({ ...(jwt.decode(pair.access_token) as object), sub: '2' })).toString(
    'base64url',
  );
  await bearerRefused(`${h}.${edited}.${s}`, 'signature_invalid');
  // None of the probes above spent the pair: it still works (no denial of service by confusion).
  assert.equal((await refresh(pair.refresh_token)).status, 200);
});

test("a token for alice with bob's legacy cookie: one identity per FALLBACK_AUTH, never a mix", async () => {
  const aliceToken = (await exchange(alice)).access_token;
  const both = { authorization: `Bearer ${aliceToken}`, cookie: bob };
  // off and legacy_session: a valid bearer token wins; legacy_only ignores bearer tokens altogether.
  assert.deepEqual(await identitySent(both, gw.off), [['1'], ['jwt']]);
  assert.deepEqual(await identitySent(both, gw.legacy_session), [['1'], ['jwt']]);
  assert.deepEqual(await identitySent(both, gw.legacy_only), [['2'], ['legacy_session']]);
  for (const mode of ['off', 'legacy_session', 'legacy_only'] as const) {
    const me = (await send(`${gw[mode].url}/api/v2/me`, { headers: both })).json();
    assert.deepEqual([me.user_id, me.method], mode === 'legacy_only' ? ['2', 'legacy_session'] : ['1', 'jwt'], mode);
  }
  // A revoked token for alice does not carry over to bob's session under her name: bob's cookie alone decides.
  await send(`${g().url}/api/v2/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${aliceToken}` } });
  assert.deepEqual(await identitySent(both, gw.legacy_session), [['2'], ['legacy_session']]);
  await bearerRefused(aliceToken, 'token_revoked', gw.off);
  // The exchange reads only the session: bob's cookie with alice's token yields tokens for bob.
  const res = await send(`${g().url}/api/v2/auth/token`, { method: 'POST', headers: { ...both, ...sameOrigin() } });
  assert.equal((jwt.decode(res.json().access_token) as { sub: string }).sub, '2');
});
