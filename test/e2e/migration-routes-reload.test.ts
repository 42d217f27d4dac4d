import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { admin, ADMIN_TOKEN, inBatches, sideUpstream, waitFor } from '../support/migration';

let legacy: CountingUpstream;
let fresh: CountingUpstream;
let gw: RunningGateway;
let file: string;

const table = (weights: string, extra = '') => `
routes:
  - id: reports
    path: /api/v1/reports/*
    target: ${fresh.url}
    weights: ${weights}
${extra}`;

before(async () => {
  legacy = await sideUpstream('legacy');
  fresh = await sideUpstream('new');
  file = routesFile(table('{ legacy: 100, new: 0 }'));
  gw = await startGateway({
    LEGACY_URL: legacy.url,
    ROUTES_FILE: file,
    RATE_LIMIT: 'off',
    ADMIN_TOKEN,
    LOG_LEVEL: 'info',
  });
});
after(async () => {
  await gw?.stop();
  await legacy?.close();
  await fresh?.close();
});

const users = Array.from({ length: 200 }, (_, i) => `reload-user-${i}-xxxx`);
const newShare = async () =>
  (
    await inBatches(
      users,
      8,
      async (u) =>
        (await send(`${gw.url}/api/v1/reports/q`, { headers: { cookie: `figway_bucket=${u}` } })).json().side,
    )
  ).filter((s) => s === 'new').length;

test('weights changed by editing routes.yaml apply without a restart', async () => {
  assert.equal(await newShare(), 0);
  writeFileSync(file, table('{ legacy: 0, new: 100 }'));
  await waitFor(async () => (await newShare()) === users.length, 3_000, { stepMs: 50 });
  writeFileSync(file, table('{ legacy: 50, new: 50 }'));
  await waitFor(
    async () => {
      const n = await newShare();
      return n > 60 && n < 140;
    },
    3_000,
    { stepMs: 50 },
  );
  const route = (await admin(gw.url, 'GET', '/admin/routes')).json().routes[0];
  assert.deepEqual(route.weights, { legacy: 50, new: 50, source: 'file' });
});

test('a broken routes.yaml is refused with one log line naming every bad key; the last good table keeps serving', async () => {
  writeFileSync(file, table('{ legacy: 70, new: 70 }', '  - id: Bad Id\n    path: nope\n    target: legacy\n'));
  await waitFor(() => gw.child.output().includes('routes file reload refused'), 3_000);
  const line = gw.child
    .output()
    .split('\n')
    .find((l) => l.includes('routes file reload refused'))!;
  assert.match(line, /routes\[0\] \(reports\) weights: /);
  assert.match(line, /routes\[1\] \(Bad Id\) id: /);
  assert.match(line, /routes\[1\] \(Bad Id\) path: /);
  const n = await newShare();
  assert.ok(n > 60 && n < 140, `still 50/50: ${n}`);
  writeFileSync(file, 'routes: [ {');
  await waitFor(() => gw.child.output().includes('not valid YAML'), 3_000);
  assert.equal((await send(`${gw.url}/api/v1/items`)).json().side, 'legacy', 'catch-all still served');
});

test('a changed path or target is logged as needing a restart and ignored; SIGHUP reloads too', async () => {
  writeFileSync(file, table('{ legacy: 100, new: 0 }').replace('/api/v1/reports/*', '/api/v1/moved/*'));
  await waitFor(() => gw.child.output().includes('needs a restart'), 3_000);
  assert.match(gw.child.output(), /needs a restart for: reports: path, target or options changed/);
  const n = await newShare();
  assert.ok(n > 60 && n < 140, `the route kept its old state: ${n}`);
  writeFileSync(file, table('{ legacy: 100, new: 0 }'));
  await waitFor(async () => (await newShare()) === 0, 3_000, { stepMs: 50 });
  // For mounts where fs.watch sees nothing: SIGHUP reloads on demand.
  gw.child.proc.kill('SIGHUP');
  await waitFor(() => gw.child.output().includes('routes file reloaded (SIGHUP)'), 3_000);
  assert.equal(gw.child.alive(), true);
});
