import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import jwt from 'jsonwebtoken';
import { routesFile, startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startLegacy, type LegacyApp } from '../support/legacy-flask';
import { legacyLogin } from '../support/legacy-login';
import { startRecordingUpstream } from '../support/recording-upstream';
import { startRedis, type RedisServer } from '../support/redis';
import { TEST_JWT_SECRET } from '../support/tokens';

// Session fixation (OWASP WSTG-SESS-03) and cross-site use of the legacy cookie (WSTG-SESS-05). A value the client
// chose before signing in must never become its credential afterwards: the gateway keeps its tokens out of cookies
// and makes them fresh at every exchange. Cookie-authenticated unsafe requests need a same-origin proof.

let up: Awaited<ReturnType<typeof startRecordingUpstream>>;
let redis: RedisServer;
let legacy: LegacyApp;
let redisLegacy: LegacyApp;
let gw: RunningGateway; // flask_cookie, forwards to the recording upstream
let viaRedis: RunningGateway; // flask_redis, in front of the real Flask-Session app
let alice: string;

before(async () => {
  [up, redis] = await Promise.all([startRecordingUpstream(), startRedis()]);
  [legacy, redisLegacy] = await Promise.all([
    startLegacy(),
    startLegacy({ SESSION_TYPE: 'redis', SESSION_REDIS_URL: redis.url }),
  ]);
  const routes = routesFile(`
routes:
  - { id: guarded, path: /api/v1/guarded/*, target: legacy, auth: required }
`);
  const base = {
    ROUTES_FILE: routes,
    RATE_LIMIT: 'off',
    JWT_SECRET: TEST_JWT_SECRET,
    REDIS_URL: redis.url,
    FALLBACK_AUTH: 'legacy_session',
  };
  [gw, viaRedis] = await Promise.all([
    startGateway({
      ...base,
      LEGACY_URL: up.url,
      LEGACY_SESSION_MODE: 'flask_cookie',
      LEGACY_SECRET_KEY: 'dev-legacy-secret',
    }),
    startGateway({
      ...base,
      LEGACY_URL: redisLegacy.url,
      LEGACY_SESSION_MODE: 'flask_redis',
      LEGACY_SESSION_REDIS_URL: redis.url,
    }),
  ]);
  await Promise.all([waitReady(gw), waitReady(viaRedis)]);
  alice = await legacyLogin(legacy.url);
});
after(async () => {
  await Promise.all([gw?.stop(), viaRedis?.stop()]);
  await Promise.all([legacy?.stop(), redisLegacy?.stop()]);
  await Promise.all([up?.close(), redis?.stop()]);
});

const sameOrigin = (g: RunningGateway) => ({ origin: g.url, host: new URL(g.url).host });
const refresh = (token: string, headers: Record<string, string> = {}) =>
  send(`${gw.url}/api/v2/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ refresh_token: token }),
  });

test('values planted before the exchange (cookies, body, headers) never become the issued tokens', async () => {
  const planted = `fixed.${randomBytes(32).toString('base64url')}`;
  const res = await send(`${gw.url}/api/v2/auth/token`, {
    method: 'POST',
    headers: {
      ...sameOrigin(gw),
      cookie: `${alice}; refresh_token=${planted}; access_token=${planted}; figway_refresh=${planted}; figway_session=${planted}`,
      'content-type': 'application/json',
      'x-refresh-token': planted,
    },
    body: JSON.stringify({ refresh_token: planted, jti: 'attacker-jti', family: 'fixed' }),
  });
  assert.equal(res.status, 200, res.body.toString());
  const pair = res.json();
  assert.ok(!pair.refresh_token.includes(planted) && !pair.refresh_token.startsWith('fixed.'));
  const claims = jwt.decode(pair.access_token) as { jti: string; fam: string; sub: string };
  assert.notEqual(claims.jti, 'attacker-jti');
  assert.notEqual(claims.fam, 'fixed');
  assert.equal(claims.sub, '1');
  // Tokens travel in the body only: there is no gateway cookie an attacker could have fixed beforehand.
  assert.equal(res.headers['set-cookie'], undefined);
  // RFC 6749 5.1 / RFC 9700: token responses must not be stored by any cache.
  assert.equal(res.headers['cache-control'], 'no-store');
  const planted401 = await refresh(planted);
  assert.equal(planted401.status, 401);
  assert.equal(planted401.json().reason, 'refresh_invalid');
  const rotated = await refresh(pair.refresh_token);
  assert.equal(rotated.status, 200);
  assert.equal(rotated.headers['cache-control'], 'no-store');
});

test('every exchange of the same session mints a new family, jti and refresh token', async () => {
  const pairs = await Promise.all(
    Array.from({ length: 3 }, () =>
      send(`${gw.url}/api/v2/auth/token`, { method: 'POST', headers: { cookie: alice, ...sameOrigin(gw) } }).then((r) =>
        r.json(),
      ),
    ),
  );
  const claims = pairs.map((p) => jwt.decode(p.access_token) as { jti: string; fam: string });
  assert.equal(new Set(pairs.map((p) => p.refresh_token)).size, 3);
  assert.equal(new Set(claims.map((c) => c.fam)).size, 3);
  assert.equal(new Set(claims.map((c) => c.jti)).size, 3);
});

test('the refresh endpoint takes the token from the body only, never from a cookie a third party could set', async () => {
  const pair = (
    await send(`${gw.url}/api/v2/auth/token`, { method: 'POST', headers: { cookie: alice, ...sameOrigin(gw) } })
  ).json();
  for (const name of ['refresh_token', 'figway_refresh', 'session']) {
    const res = await send(`${gw.url}/api/v2/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `${name}=${pair.refresh_token}` },
      body: '{}',
    });
    assert.equal(res.status, 422, `${name}: ${res.body}`);
  }
  assert.equal((await refresh(pair.refresh_token)).status, 200, 'the cookie attempts did not spend the token');
});

test('flask_redis: a session id the client chose before signing in is replaced, and never authenticates', async () => {
  const chosen = randomBytes(32).toString('base64url');
  const login = await send(`${viaRedis.url}/api/v1/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: `session=${chosen}` },
    body: JSON.stringify({ username: 'alice', password: 'wonderland' }),
  });
  assert.equal(login.status, 200);
  const issued = (login.headers['set-cookie'] ?? []).map((c) => /^session=([^;]*)/.exec(c)?.[1]).find(Boolean);
  assert.ok(issued && issued !== chosen, `Flask-Session made a new sid: ${login.headers['set-cookie']}`);
  const me = await send(`${viaRedis.url}/api/v2/me`, { headers: { cookie: `session=${chosen}` } });
  assert.equal(me.status, 401);
  assert.equal(me.json().reason, 'session_invalid');
  const token = await send(`${viaRedis.url}/api/v2/auth/token`, {
    method: 'POST',
    headers: { cookie: `session=${chosen}`, ...sameOrigin(viaRedis) },
  });
  assert.equal(token.status, 401);
  assert.equal(
    (await send(`${viaRedis.url}/api/v2/me`, { headers: { cookie: `session=${issued}` } })).json().user_id,
    '1',
  );
});

// --- CSRF: cookie-authenticated unsafe requests ------------------------------------------------------------------

// Built after start-up: some cases name the gateway's own origin. A request with neither Sec-Fetch-Site nor Origin is
// not a browser's (browsers send Sec-Fetch-Site on every request, Origin on every cross-origin POST) and passes, as
// does `Sec-Fetch-Site: none` (user-initiated): Go's net/http CrossOriginProtection; see src/auth/csrf.spec.ts.
const withoutProof = (): [string, Record<string, string>][] => [
  ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
  ['Sec-Fetch-Site: same-site (a sibling subdomain)', { 'sec-fetch-site': 'same-site' }],
  ['Origin: null (sandboxed frame, data: URL)', { origin: 'null' }],
  ['a foreign Origin', { origin: 'https://evil.example' }],
  ['the gateway host on another port', { origin: 'http://127.0.0.1:1' }],
  [
    'a foreign Origin next to a Referer from the gateway',
    { origin: 'https://evil.example', referer: `${gw.url}/chat` },
  ],
  ['the gateway host as userinfo of a foreign Origin', { origin: `http://${new URL(gw.url).host}@evil.example` }],
  ['a same-origin Origin contradicted by Sec-Fetch-Site', { origin: gw.url, 'sec-fetch-site': 'cross-site' }],
  ['an unparseable Origin', { origin: 'http://[' }],
];

test('cookie-authenticated unsafe v2 requests from another origin are refused with 403 CSRF_REJECTED', async () => {
  for (const [why, headers] of withoutProof()) {
    for (const [path, body] of [
      ['/api/v2/chat', { message: 'hi' }],
      ['/api/v2/auth/token', {}],
    ] as const) {
      const res = await send(`${gw.url}${path}`, {
        method: 'POST',
        headers: { cookie: alice, 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 403, `${path}, ${why}: ${res.body}`);
      assert.equal(res.json().code, 'CSRF_REJECTED', why);
      assert.equal(res.headers['set-cookie'], undefined);
    }
  }
  const ok = await send(`${gw.url}/api/v2/chat`, {
    method: 'POST',
    headers: {
      cookie: alice,
      'sec-fetch-site': 'same-origin',
      'content-type': 'application/json',
      accept: 'application/json',
    },
    body: JSON.stringify({ message: 'hi' }),
  });
  assert.equal(ok.status, 200, `the same request with the proof is served: ${ok.body}`);
});

test('on a proxied auth route, legacy never receives a cookie-authenticated unsafe request from another origin', async () => {
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND']) {
    for (const [why, extra] of withoutProof().slice(0, 6)) {
      up.received.length = 0;
      const res = await send(`${gw.url}/api/v1/guarded/x`, {
        method,
        headers: { cookie: alice, 'content-length': '3', ...extra },
        body: 'x=1',
      });
      assert.equal(res.status, 403, `${method}, ${why}`);
      assert.equal(res.json().code, 'CSRF_REJECTED');
      assert.equal(up.received.length, 0, `${method}, ${why}: nothing forwarded`);
    }
  }
  // A bad bearer token next to the cookie falls back to the cookie, and so to the CSRF check.
  up.received.length = 0;
  const badBearer = await send(`${gw.url}/api/v1/guarded/x`, {
    method: 'POST',
    headers: { cookie: alice, authorization: 'Bearer not.a.jwt', origin: 'https://evil.example' },
    body: 'x',
  });
  assert.equal(badBearer.status, 403);
  assert.equal(up.received.length, 0);
  // Safe methods and bearer-authenticated requests need no proof (a browser does not attach bearer tokens), nor does a
  // non-browser client (no Sec-Fetch-Site, no Origin).
  const get = await send(`${gw.url}/api/v1/guarded/x`, { headers: { cookie: alice } });
  assert.equal(get.status, 200);
  const nonBrowser = await send(`${gw.url}/api/v1/guarded/x`, {
    method: 'POST',
    headers: { cookie: alice },
    body: 'x',
  });
  assert.equal(nonBrowser.status, 200);
  const pair = (
    await send(`${gw.url}/api/v2/auth/token`, { method: 'POST', headers: { cookie: alice, ...sameOrigin(gw) } })
  ).json();
  up.received.length = 0;
  const viaBearer = await send(`${gw.url}/api/v1/guarded/x`, {
    method: 'POST',
    headers: { authorization: `Bearer ${pair.access_token}`, origin: 'https://evil.example' },
    body: 'x',
  });
  assert.equal(viaBearer.status, 200);
  assert.deepEqual(up.received[0].fields.get('x-figway-user-id'), ['1']);
});
