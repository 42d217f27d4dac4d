import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { startLegacy, type LegacyApp } from '../support/legacy-flask';
import { send } from '../support/http';

let legacy: LegacyApp;
let reports: Server;
let reportsUrl: string;
const started: RunningGateway[] = [];

before(async () => {
  legacy = await startLegacy();
  reports = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ served_by: 'reports', url: req.url, host: req.headers.host }));
  });
  await new Promise<void>((r) => reports.listen(0, '127.0.0.1', r));
  reportsUrl = `http://127.0.0.1:${(reports.address() as { port: number }).port}`;
});
after(async () => {
  await Promise.all(started.map((g) => g.stop()));
  reports?.close();
  await legacy?.stop();
});

function table() {
  return routesFile(`
routes:
  - id: v2-meta
    path: /api/v2/meta
    methods: [GET]
    target: module:meta
    legacy_path: /api/v1/echo/meta-on-legacy
  - id: reports
    path: /api/v1/reports/*
    target: ${reportsUrl}
    host: upstream
    legacy_path: /api/v1/echo/old-reports/*
  - id: v1
    path: /api/v1/*
    target: legacy
`);
}

async function gateway(env: Record<string, string> = {}) {
  const gw = await startGateway({ LEGACY_URL: legacy.url, ROUTES_FILE: table(), ...env });
  started.push(gw);
  return gw;
}

test('each route reaches its own target: a v2 module, another upstream, legacy', async () => {
  const gw = await gateway();
  const meta = await send(`${gw.url}/api/v2/meta`);
  assert.equal(meta.json().service, 'figway');
  assert.equal(meta.json().api, 'v2');

  const rep = await send(`${gw.url}/api/v1/reports/2026/q3?fmt=csv`);
  assert.equal(rep.json().served_by, 'reports');
  assert.equal(rep.json().url, '/api/v1/reports/2026/q3?fmt=csv');
  assert.equal(rep.json().host, new URL(reportsUrl).host, 'host: upstream sends the target host');

  const bare = await send(`${gw.url}/api/v1/reports`);
  assert.equal(bare.json().served_by, 'reports', 'a prefix route also claims the bare prefix');

  const items = await send(`${gw.url}/api/v1/items`);
  assert.equal(items.status, 200);
  assert.ok(Array.isArray(items.json().items ?? items.json()));
});

test('a path no route claims goes to legacy (the strangler catch-all)', async () => {
  const gw = await gateway();
  const page = await send(`${gw.url}/page`);
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /text\/html/);
  const unknownV2 = await send(`${gw.url}/api/v2/not-migrated-yet`);
  const direct = await send(`${legacy.url}/api/v2/not-migrated-yet`);
  assert.equal(unknownV2.status, direct.status);
  assert.equal(unknownV2.body.toString(), direct.body.toString());
});

test('ROUTE_ALL_TO_LEGACY=true sends v2 and other upstreams to legacy, at their legacy paths', async () => {
  const gw = await gateway({ ROUTE_ALL_TO_LEGACY: 'true' });
  const meta = await send(`${gw.url}/api/v2/meta?x=1`);
  assert.equal(meta.status, 200);
  assert.equal(meta.json().raw_uri, '/api/v1/echo/meta-on-legacy?x=1');

  const rep = await send(`${gw.url}/api/v1/reports/2026/q3`);
  assert.equal(rep.json().raw_uri, '/api/v1/echo/old-reports/2026/q3');
});

test('a module route switched to legacy in routes.yaml is served by legacy', async () => {
  const file = routesFile(`
routes:
  - id: v2-meta
    path: /api/v2/meta
    target: legacy
    legacy_path: /api/v1/echo/meta-switched
`);
  const gw = await startGateway({ LEGACY_URL: legacy.url, ROUTES_FILE: file });
  started.push(gw);
  const res = await send(`${gw.url}/api/v2/meta`);
  assert.equal(res.json().raw_uri, '/api/v1/echo/meta-switched');
});
