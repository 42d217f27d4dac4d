import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startLegacy, type LegacyApp } from '../support/legacy-flask';
import { admin, ADMIN_TOKEN, requestCounts } from '../support/migration';
import { FLAKY_GATEWAY_MAIN } from '../support/paths';

// A v2 module that throws a 5xx before writing anything: ProblemFilter hands a bodiless GET to the route's
// fallback, which replays it to legacy at legacy_path on the same client exchange (src/migration/route-sides.ts,
// moduleSides). Here end to end: the real gateway process (with a test module that fails on demand, as no
// production module does) in front of the real Flask app, whose echo endpoint says what it was sent.

let legacy: LegacyApp;
let gw: RunningGateway;
before(async () => {
  legacy = await startLegacy();
  const routes = routesFile(`
routes:
  - id: flaky
    path: /api/v2/flaky/*
    target: module:flaky
    legacy_path: /api/v1/echo/*
    # The breaker stays closed through this file: every request tries the module first.
    fallback: { breaker: { failures: 1000, cooldown_s: 60 } }
  - { id: v1, path: /api/v1/*, target: legacy }
`);
  gw = await startGateway(
    { LEGACY_URL: legacy.url, ROUTES_FILE: routes, RATE_LIMIT: 'off', ADMIN_TOKEN },
    { main: FLAKY_GATEWAY_MAIN },
  ).catch(async (err) => {
    await legacy.stop();
    throw err;
  });
});
after(async () => {
  await gw?.stop();
  await legacy?.stop();
});

const seen = async (): Promise<string[]> => (await send(`${gw.url}/api/v2/flaky/seen`)).json().seen;

test('the module answers what it can: no fallback', async () => {
  const res = await send(`${gw.url}/api/v2/flaky/ok`);
  assert.equal(res.status, 200, res.body.toString());
  assert.deepEqual(res.json(), { side: 'module' });
  assert.equal((await requestCounts(gw.url, 'flaky'))['module 200'], 1);
});

test('a GET the module fails with a 500 gets the legacy answer at legacy_path, counted as fallback', async () => {
  const res = await send(`${gw.url}/api/v2/flaky/fail?x=1`, { headers: { 'x-request-id': 'replayed-get-1' } });
  // The client sees legacy's answer, not the module's problem.
  assert.equal(res.status, 200, res.body.toString());
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const echo = res.json();
  assert.equal(echo.method, 'GET');
  assert.equal(echo.path, '/api/v1/echo/fail', 'legacy got the legacy_path');
  assert.equal(echo.query_string, 'x=1');
  // One exchange: the request id the client sent is the one legacy got and the one the client gets back.
  assert.equal(echo.headers['x-request-id'], 'replayed-get-1');
  assert.equal(res.headers['x-request-id'], 'replayed-get-1');
  // The gateway's own headers are on the replayed answer as on any other.
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.ok((await seen()).includes('GET /fail'), 'the module was tried first');

  const counts = await requestCounts(gw.url, 'flaky');
  assert.equal(counts['fallback 200'], 1, JSON.stringify(counts));
  assert.equal(counts['module 500'], undefined, `the 500 reached the metrics as an answer: ${JSON.stringify(counts)}`);
  const route = (await admin(gw.url, 'GET', '/admin/routes'))
    .json()
    .routes.find((r: { id: string }) => r.id === 'flaky');
  assert.equal(route.served.fallback, 1, JSON.stringify(route.served));
  assert.match(gw.child.output(), /replayed-get-1: module failed with 500; replayed to legacy/);
});

test('a POST with a body the module fails is never replayed: the client gets the problem', async () => {
  const before = await requestCounts(gw.url, 'flaky');
  const res = await send(`${gw.url}/api/v2/flaky/fail`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'unreplayed-post-1' },
    body: '{"a":1}',
  });
  assert.equal(res.status, 500, res.body.toString());
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  assert.equal(res.json().code, 'INTERNAL');
  assert.ok((await seen()).includes('POST /fail'));
  const counts = await requestCounts(gw.url, 'flaky');
  assert.equal(counts['module 500'], 1, JSON.stringify(counts));
  assert.equal(counts['fallback 200'], before['fallback 200'], 'nothing more went to legacy');
  assert.doesNotMatch(gw.child.output(), /unreplayed-post-1: module failed/);
});
