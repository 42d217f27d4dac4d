import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CONSOLE_HEADERS, signIn, withCookie } from '../support/console';
import type { CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { admin, ADMIN_TOKEN, sideUpstream } from '../support/migration';

let legacy: CountingUpstream;
let fresh: CountingUpstream;
let gw: RunningGateway;
let cookie: string;

before(async () => {
  legacy = await sideUpstream('legacy');
  fresh = await sideUpstream('new');
  const yaml = `
routes:
  - id: reports
    path: /api/v1/reports/*
    target: ${fresh.url}
`;
  gw = await startGateway({ LEGACY_URL: legacy.url, ROUTES_FILE: routesFile(yaml), RATE_LIMIT: 'off', ADMIN_TOKEN });
  cookie = await signIn(gw.url);
});
after(async () => {
  await gw?.stop();
  await legacy?.close();
  await fresh?.close();
});

const weights = { weights: { legacy: 80, new: 20 } };

test('a cookie-authenticated PUT without X-Figway-Console is refused with 403 CSRF_REJECTED and changes nothing', async () => {
  const res = await withCookie(gw.url, cookie, 'PUT', '/admin/routes/reports', { body: weights });
  assert.equal(res.status, 403);
  assert.equal(res.json().code, 'CSRF_REJECTED');
  const route = (await admin(gw.url, 'GET', '/admin/routes')).json().routes.find((r: any) => r.id === 'reports');
  assert.equal(route.weights.new, 100, 'unchanged');
});

test('with the header but another Origin: 403 CSRF_REJECTED', async () => {
  const res = await withCookie(gw.url, cookie, 'PUT', '/admin/routes/reports', {
    headers: { ...CONSOLE_HEADERS, origin: 'http://evil.example' },
    body: weights,
  });
  assert.equal(res.status, 403);
  assert.equal(res.json().code, 'CSRF_REJECTED');
});

test('with the header (and its own Origin, or none): 200, the change is made', async () => {
  const res = await withCookie(gw.url, cookie, 'PUT', '/admin/routes/reports', {
    headers: { ...CONSOLE_HEADERS, origin: gw.url },
    body: weights,
  });
  assert.equal(res.status, 200, res.body.toString());
  assert.deepEqual(res.json().weights, { legacy: 80, new: 20, source: 'admin' });
  const again = await withCookie(gw.url, cookie, 'PUT', '/admin/routes/reports', {
    headers: CONSOLE_HEADERS,
    body: { weights: null },
  });
  assert.equal(again.status, 200, again.body.toString());
});

test('Bearer requests are unchanged: no console header needed', async () => {
  const res = await admin(gw.url, 'PUT', '/admin/routes/reports', { weights: null });
  assert.equal(res.status, 200, res.body.toString());
});
