import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startLegacy, type LegacyApp } from '../support/legacy-flask';
import { legacyLogin } from '../support/legacy-login';
import { TEST_JWT_SECRET } from '../support/tokens';

// curl, a mobile app or Python requests send neither Origin nor Sec-Fetch-Site; a browser sends Sec-Fetch-Site on
// every request and Origin on every cross-origin POST. A request with neither cannot be a forged browser request,
// so the cookie is enough (Go 1.25 net/http CrossOriginProtection), while browser cross-site requests stay refused.

let legacy: LegacyApp;
let gw: RunningGateway;
let cookie: string;

before(async () => {
  legacy = await startLegacy();
  // legacy_session: the emergency mode, where cookie-authenticated v2 calls are served.
  gw = await startGateway({
    LEGACY_URL: legacy.url,
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT: 'off',
    FALLBACK_AUTH: 'legacy_session',
    LLM_LOCAL_TOKEN_DELAY_MS: '0',
  });
  await waitReady(gw);
  cookie = await legacyLogin(gw.url);
});
after(async () => {
  await gw?.stop();
  await legacy?.stop();
});

const post = (path: string, headers: Record<string, string>, body = '{}') =>
  send(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body,
  });

test('a client sending only the cookie (as curl does) exchanges it for tokens that work as bearer', async () => {
  const res = await post('/api/v2/auth/token', { cookie });
  assert.equal(res.status, 200, res.body.toString());
  const { access_token } = res.json();
  assert.ok(access_token);
  const me = await send(`${gw.url}/api/v2/me`, { headers: { authorization: `Bearer ${access_token}` } });
  assert.equal(me.status, 200);
  assert.deepEqual([me.json().user_id, me.json().method], ['1', 'jwt']);
});

test('with FALLBACK_AUTH=legacy_session, a cookie-only chat POST from a non-browser client is served', async () => {
  const res = await post('/api/v2/chat', { cookie }, JSON.stringify({ message: 'hi' }));
  assert.equal(res.status, 200, res.body.toString());
  assert.ok(res.json().reply);
});

test('browser cross-origin requests with the cookie are still refused with 403 CSRF_REJECTED', async () => {
  const crossOrigin: Record<string, string>[] = [
    { 'sec-fetch-site': 'cross-site' },
    { 'sec-fetch-site': 'same-site' },
    { 'sec-fetch-site': 'cross-site', origin: gw.url },
    { origin: 'https://evil.example' },
    { origin: 'null' },
    { origin: 'http://[' },
  ];
  for (const headers of crossOrigin) {
    for (const path of ['/api/v2/auth/token', '/api/v2/chat']) {
      const res = await post(path, { cookie, ...headers }, JSON.stringify({ message: 'hi' }));
      assert.equal(res.status, 403, `${path} ${JSON.stringify(headers)}: ${res.body}`);
      assert.equal(res.json().code, 'CSRF_REJECTED');
    }
  }
});
