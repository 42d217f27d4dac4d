import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { routesFile, startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { send, type RawResponse } from '../support/http';
import { startLegacy, type LegacyApp } from '../support/legacy-flask';
import { legacyLogin } from '../support/legacy-login';
import { admin, ADMIN_TOKEN, waitFor } from '../support/migration';
import { ROOT } from '../support/paths';
import { CLOSED_PORT } from '../support/ports';
import { startRedis, type RedisServer } from '../support/redis';
import { TEST_JWT_SECRET, tokens } from '../support/tokens';

// The rollback runbook sends all traffic to Flask, which then authenticates as it did before the migration: a
// rolled-back route whose normal target is the new side must not demand the gateway's credentials (its `auth:`
// acts as `optional`), while a route that targets legacy keeps its `auth:`, which guards legacy itself.

let legacy: LegacyApp;
let redis: RedisServer;
let forced: RunningGateway; // ROUTE_ALL_TO_LEGACY=true
let a: RunningGateway; // a and b share redis: the admin flags reach both
let b: RunningGateway;
let cookie: string;

// The shipped route table, plus a new-side upstream route (its new side is down: only a rollback serves it, from
// Flask's echo, which shows the identity fields) and a legacy route that asks for authentication.
const ROUTES = `${readFileSync(join(ROOT, 'config/routes.yaml'), 'utf8')}
  - id: echo-new
    path: /api/v1/echo/*
    target: http://127.0.0.1:${CLOSED_PORT}
    auth: required
  - id: guarded
    path: /api/v1/items
    target: legacy
    auth: required
`;

before(async () => {
  [legacy, redis] = await Promise.all([startLegacy(), startRedis()]);
  const env = {
    LEGACY_URL: legacy.url,
    ROUTES_FILE: routesFile(ROUTES),
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT: 'off',
    ADMIN_TOKEN,
    REDIS_URL: redis.url,
  };
  // One at a time: three gateways starting at once on the shared 2-core machine can miss the start deadline.
  forced = await startGateway({ ...env, ROUTE_ALL_TO_LEGACY: 'true' });
  a = await startGateway(env);
  b = await startGateway(env);
  await Promise.all([waitReady(forced), waitReady(a), waitReady(b)]);
  cookie = await legacyLogin(legacy.url);
});
after(async () => {
  await Promise.all([forced?.stop(), a?.stop(), b?.stop()]);
  await Promise.all([legacy?.stop(), redis?.stop()]);
});

const chat = (gw: RunningGateway, headers: Record<string, string> = {}) =>
  send(`${gw.url}/api/v2/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ message: 'still there?' }),
  });

const isFlask401 = (res: RawResponse) =>
  res.status === 401 &&
  /^application\/json/.test(String(res.headers['content-type'])) &&
  res.json().error === 'unauthenticated';
const isGateway401 = (res: RawResponse) =>
  res.status === 401 && /^application\/problem\+json/.test(String(res.headers['content-type']));

function assertServedByFlask(withCookie: RawResponse, without: RawResponse, why: string) {
  assert.equal(withCookie.status, 200, `${why}: ${withCookie.body}`);
  assert.equal(withCookie.json().reply, 'Legacy says: still there?', why);
  assert.ok(
    isFlask401(without),
    `${why}: Flask's own 401, not the gateway's: ${without.status} ${without.headers['content-type']} ${without.body}`,
  );
}

test('ROUTE_ALL_TO_LEGACY=true: the v2 routes reach Flask with its session or nothing, and Flask authenticates', async () => {
  assertServedByFlask(await chat(forced, { cookie }), await chat(forced), 'chat');
  const history = await send(`${forced.url}/api/v2/chat/history`, { headers: { cookie } });
  assert.equal(history.status, 200, history.body.toString());
  assert.ok(Array.isArray(history.json().messages));
  assert.ok(isFlask401(await send(`${forced.url}/api/v2/chat/history`)));
  const me = await send(`${forced.url}/api/v2/me`, { headers: { cookie } });
  assert.deepEqual(me.json(), { user_id: 1, username: 'alice' });
  assert.ok(isFlask401(await send(`${forced.url}/api/v2/me`)));
  assert.deepEqual((await send(`${forced.url}/api/v2/meta`)).json(), { service: 'tavern', api: 'legacy' });
});

test('under a rollback, valid gateway credentials still name the user upstream; none is not refused', async () => {
  const bearer = await send(`${forced.url}/api/v1/echo/x`, {
    headers: { authorization: `Bearer ${tokens.valid({ sub: '1' })}` },
  });
  assert.equal(bearer.status, 200, bearer.body.toString());
  assert.equal(bearer.json().headers['x-figway-user-id'], '1');
  assert.equal(bearer.json().headers['x-figway-auth-method'], 'jwt');
  const anonymous = await send(`${forced.url}/api/v1/echo/x`);
  assert.equal(anonymous.status, 200, anonymous.body.toString());
  assert.equal(anonymous.json().headers['x-figway-user-id'], undefined);
});

test('under a rollback, a route that targets legacy keeps its auth: required', async () => {
  const res = await send(`${forced.url}/api/v1/items`, { headers: { cookie } });
  assert.ok(isGateway401(res), `${res.status} ${res.body}`);
  const withToken = await send(`${forced.url}/api/v1/items`, {
    headers: { authorization: `Bearer ${tokens.valid({ sub: '1' })}` },
  });
  assert.equal(withToken.status, 200);
});

test('the admin flag and a per-route rollback, live on another instance, relax the auth; clearing them restores it', async () => {
  assert.ok(isGateway401(await chat(b, { cookie })), 'before: the module route wants a v2 credential');
  assert.equal((await admin(a.url, 'PUT', '/admin/flags', { route_all_to_legacy: true })).status, 200);
  await waitFor(async () => isFlask401(await chat(b)), 2_000);
  assertServedByFlask(await chat(b, { cookie }), await chat(b), 'admin flag on b');
  assert.ok(isGateway401(await send(`${b.url}/api/v1/items`)), 'the legacy route keeps its auth');

  assert.equal((await admin(a.url, 'PUT', '/admin/flags', { route_all_to_legacy: null })).status, 200);
  await waitFor(async () => isGateway401(await chat(b)), 2_000);
  assert.equal((await admin(a.url, 'PUT', '/admin/routes/v2-chat', { rollback: true })).status, 200);
  await waitFor(async () => isFlask401(await chat(b)), 2_000);
  assertServedByFlask(await chat(b, { cookie }), await chat(b), 'route rollback on b');
  assert.ok(isGateway401(await send(`${b.url}/api/v2/chat/history`)), 'the history route is not rolled back');

  assert.equal((await admin(a.url, 'PUT', '/admin/routes/v2-chat', { rollback: null })).status, 200);
  await waitFor(async () => isGateway401(await chat(b)), 2_000);
  assert.ok(isGateway401(await chat(a, { cookie })));
});
