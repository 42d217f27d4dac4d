import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startLegacy, type LegacyApp } from '../support/legacy-flask';
import { legacyLogin } from '../support/legacy-login';
import { TEST_JWT_SECRET, tokens } from '../support/tokens';

let legacy: LegacyApp;
const gw: Record<string, RunningGateway> = {};

before(async () => {
  legacy = await startLegacy();
  const base = {
    LEGACY_URL: legacy.url,
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT: 'off',
    LEGACY_SESSION_MODE: 'flask_cookie',
    LEGACY_SECRET_KEY: 'dev-legacy-secret',
  };
  const modes = ['off', 'legacy_session', 'flask_session', 'legacy_only'];
  const started = await Promise.all(modes.map((m) => startGateway({ ...base, FALLBACK_AUTH: m })));
  modes.forEach((m, i) => (gw[m] = started[i]));
});
after(async () => {
  await Promise.all(Object.values(gw).map((g) => g.stop()));
  await legacy?.stop();
});

async function me(mode: string, opts: { cookie?: boolean; token?: string }) {
  const g = gw[mode];
  const headers: Record<string, string> = {};
  if (opts.cookie) headers.cookie = await legacyLogin(g.url);
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  return send(`${g.url}/api/v2/me`, { headers });
}

test('FALLBACK_AUTH=off: a legacy session alone is refused; a JWT is required', async () => {
  const res = await me('off', { cookie: true });
  assert.equal(res.status, 401);
  assert.equal(res.json().reason, 'credentials_missing');
  assert.equal((await me('off', { token: tokens.valid() })).json().method, 'jwt');
});

for (const mode of ['legacy_session', 'flask_session']) {
  test(`FALLBACK_AUTH=${mode}: the legacy session is accepted when the JWT is missing or invalid`, async () => {
    const cookieOnly = await me(mode, { cookie: true });
    assert.equal(cookieOnly.status, 200, cookieOnly.body.toString());
    assert.deepEqual([cookieOnly.json().user_id, cookieOnly.json().method], ['1', 'legacy_session']);
    assert.equal((await me(mode, { cookie: true, token: tokens.expired() })).json().method, 'legacy_session');
    assert.equal(
      (await me(mode, { cookie: true, token: tokens.valid() })).json().method,
      'jwt',
      'a valid JWT still wins',
    );
    const badTokenNoCookie = await me(mode, { token: tokens.expired() });
    assert.equal(badTokenNoCookie.json().reason, 'token_expired');
  });
}

test('FALLBACK_AUTH=legacy_only: JWTs are ignored, only the legacy session counts', async () => {
  const tokenOnly = await me('legacy_only', { token: tokens.valid() });
  assert.equal(tokenOnly.status, 401);
  assert.equal((await me('legacy_only', { cookie: true, token: tokens.valid() })).json().method, 'legacy_session');
});

test('a tampered legacy cookie is refused', async () => {
  const cookie = await legacyLogin(gw.legacy_session.url);
  const session = /(?:^|; )session=([^;]+)/.exec(cookie)![1];
  const i = Math.floor(session.length / 2);
  const tampered = session.slice(0, i) + (session[i] === 'A' ? 'B' : 'A') + session.slice(i + 1);
  const res = await send(`${gw.legacy_session.url}/api/v2/me`, { headers: { cookie: `session=${tampered}` } });
  assert.equal(res.status, 401);
  assert.equal(res.json().reason, 'session_invalid');
});
