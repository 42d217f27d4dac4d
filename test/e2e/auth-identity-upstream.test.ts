import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { rawExchange, send } from '../support/http';
import { TEST_JWT_SECRET, tokens } from '../support/tokens';

let upstream: CountingUpstream;
let gw: RunningGateway;

before(async () => {
  upstream = await startCountingUpstream((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(req.headers));
  });
  const routes = routesFile(`
routes:
  - id: orders
    path: /api/v2/orders/*
    target: legacy
    auth: required
  - id: catalog
    path: /api/v2/catalog/*
    target: legacy
    auth: optional
`);
  gw = await startGateway({
    LEGACY_URL: upstream.url,
    ROUTES_FILE: routes,
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT: 'off',
  });
});
after(async () => {
  await gw?.stop();
  await upstream?.close();
});

test("a required-auth route forwards the proven identity in the gateway's own headers", async () => {
  const res = await send(`${gw.url}/api/v2/orders/1`, { headers: { authorization: `Bearer ${tokens.valid()}` } });
  assert.equal(res.status, 200);
  assert.equal(res.json()['x-figway-user-id'], 'user-7');
  assert.equal(res.json()['x-figway-auth-method'], 'jwt');
});

test('client-sent identity headers never reach the upstream, in any case or with underscores', async () => {
  const raw = await rawExchange(
    gw.port,
    `GET /api/v2/orders/2 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tokens.valid()}\r\nX-Figway-User-Id: admin\r\n` +
      `x_figway_user_id: admin\r\nX-FIGWAY-AUTH-METHOD: root\r\nConnection: close\r\n\r\n`,
  );
  const body = JSON.parse(
    raw
      .slice(raw.indexOf('\r\n\r\n') + 4)
      .replace(/^[0-9a-f]+\r\n/, '')
      .replace(/\r\n0\r\n\r\n$/, ''),
  );
  assert.equal(body['x-figway-user-id'], 'user-7');
  assert.equal(body['x_figway_user_id'], undefined);
  assert.equal(body['x-figway-auth-method'], 'jwt');
});

test('without credentials a required route answers 401 and the upstream sees nothing', async () => {
  const before = upstream.hits();
  const res = await send(`${gw.url}/api/v2/orders/3`, { headers: { 'x-figway-user-id': 'admin' } });
  assert.equal(res.status, 401);
  assert.equal(res.json().reason, 'credentials_missing');
  assert.equal(upstream.hits(), before);
});

test('an optional-auth route serves anonymous callers with no identity, and spoofed identity stripped', async () => {
  const res = await send(`${gw.url}/api/v2/catalog/x`, { headers: { 'x-figway-user-id': 'admin' } });
  assert.equal(res.status, 200);
  assert.equal(res.json()['x-figway-user-id'], undefined);
});
