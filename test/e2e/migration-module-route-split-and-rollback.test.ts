import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { admin, ADMIN_TOKEN, inBatches, requestCounts, sideUpstream, waitFor } from '../support/migration';

let legacy: CountingUpstream;
let gw: RunningGateway;

before(async () => {
  legacy = await sideUpstream('legacy');
  const yaml = `
routes:
  - id: v2-meta
    path: /api/v2/meta
    methods: [GET]
    target: module:meta
    legacy_path: /api/v1/meta
    weights: { legacy: 50, new: 50 }
`;
  gw = await startGateway({ LEGACY_URL: legacy.url, ROUTES_FILE: routesFile(yaml), RATE_LIMIT: 'off', ADMIN_TOKEN });
});
after(async () => {
  await gw?.stop();
  await legacy?.close();
});

const users = Array.from({ length: 400 }, (_, i) => `module-user-${i}-abc`);
const sideOf = async (u: string) => {
  const res = await send(`${gw.url}/api/v2/meta`, { headers: { cookie: `figway_bucket=${u}` } });
  const body = res.json();
  if (body.side === 'legacy') {
    assert.equal(body.url, '/api/v1/meta', 'legacy gets the legacy_path');
    return 'legacy';
  }
  assert.equal(body.api, 'v2');
  return 'module';
};

test('a v2 module route splits sticky per user between the module and legacy, labelled by side', async () => {
  const first = await inBatches(users, 8, sideOf);
  const onModule = first.filter((s) => s === 'module').length;
  assert.ok(onModule > 150 && onModule < 250, `module got ${onModule} of 400`);
  const again = await inBatches(users.slice(0, 100), 8, sideOf);
  again.forEach((s, i) => assert.equal(s, first[i]));
  const counts = await requestCounts(gw.url, 'v2-meta');
  assert.equal((counts['module 200'] ?? 0) + (counts['legacy 200'] ?? 0), 500, JSON.stringify(counts));
  assert.ok(counts['module 200'] > 0 && counts['legacy 200'] > 0);
});

test('a per-route rollback and the global flag, both live: the module route and unclaimed v2 paths go to legacy', async () => {
  await admin(gw.url, 'PUT', '/admin/routes/v2-meta', { rollback: true });
  assert.deepEqual(await inBatches(users.slice(0, 50), 8, sideOf), new Array(50).fill('legacy'));
  await admin(gw.url, 'PUT', '/admin/routes/v2-meta', { rollback: null, weights: { legacy: 0, new: 100 } });
  assert.deepEqual(await inBatches(users.slice(0, 50), 8, sideOf), new Array(50).fill('module'));
  // /api/v2/me is a Nest route routes.yaml does not claim here.
  assert.equal((await send(`${gw.url}/api/v2/me`)).status, 401);
  await admin(gw.url, 'PUT', '/admin/flags', { route_all_to_legacy: true });
  await waitFor(async () => (await sideOf(users[0])) === 'legacy', 1_000);
  const me = await send(`${gw.url}/api/v2/me`);
  assert.equal(me.json().side, 'legacy');
  assert.equal(me.json().url, '/api/v2/me');
});
