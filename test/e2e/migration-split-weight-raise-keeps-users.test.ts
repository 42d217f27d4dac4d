import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { admin, ADMIN_TOKEN, inBatches, sideUpstream } from '../support/migration';

let legacy: CountingUpstream;
let fresh: CountingUpstream;
let gw: RunningGateway;

before(async () => {
  legacy = await sideUpstream('legacy');
  fresh = await sideUpstream('new');
  const yaml = `
routes:
  - id: reports
    path: /api/v1/reports/*
    target: ${fresh.url}
    weights: { legacy: 90, new: 10 }
`;
  gw = await startGateway({ LEGACY_URL: legacy.url, ROUTES_FILE: routesFile(yaml), RATE_LIMIT: 'off', ADMIN_TOKEN });
});
after(async () => {
  await gw?.stop();
  await legacy?.close();
  await fresh?.close();
});

const users = Array.from({ length: 1_000 }, (_, i) => `raise-user-${String(i).padStart(5, '0')}`);
const sides = () =>
  inBatches(
    users,
    16,
    async (u) =>
      (await send(`${gw.url}/api/v1/reports/q`, { headers: { cookie: `figway_bucket=${u}` } })).json().side as string,
  );

test('raising new from 10 to 20 (admin API, live) keeps every earlier new-side user on the new side', async () => {
  const at10 = await sides();
  const put = await admin(gw.url, 'PUT', '/admin/routes/reports', { weights: { legacy: 80, new: 20 } });
  assert.equal(put.status, 200, put.body.toString());
  assert.deepEqual(put.json().weights, { legacy: 80, new: 20, source: 'admin' });
  const at20 = await sides();
  const n10 = at10.filter((s) => s === 'new').length;
  const n20 = at20.filter((s) => s === 'new').length;
  assert.ok(n10 > 60 && n10 < 140, `10%: ${n10}`);
  assert.ok(n20 > 150 && n20 < 250, `20%: ${n20}`);
  users.forEach((u, i) => {
    if (at10[i] === 'new') assert.equal(at20[i], 'new', `${u} went back to legacy`);
  });
});

test('invalid weights and unknown keys are refused with 422 problem+json; an unknown route is 404', async () => {
  const bad = await admin(gw.url, 'PUT', '/admin/routes/reports', { weights: { legacy: 50, new: 60 } });
  assert.equal(bad.status, 422);
  assert.match(String(bad.headers['content-type']), /application\/problem\+json/);
  assert.equal(bad.json().code, 'VALIDATION_FAILED');
  const unknown = await admin(gw.url, 'PUT', '/admin/flags', { route_all_to_legacy: true, surprise: 1 });
  assert.equal(unknown.status, 422);
  assert.match(unknown.json().detail, /surprise/);
  assert.equal((await admin(gw.url, 'PUT', '/admin/routes/nope', { rollback: true })).status, 404);
  const noToken = await send(`${gw.url}/admin/flags`);
  assert.equal(noToken.status, 401);
});
