import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { requestCounts, sideUpstream } from '../support/migration';

let legacy: CountingUpstream;
let fresh: CountingUpstream;
let gw: RunningGateway;
let status = 500;

before(async () => {
  legacy = await sideUpstream('legacy');
  fresh = await sideUpstream('new', () => status);
  const yaml = `
routes:
  - id: reports
    path: /api/v2/reports/*
    target: ${fresh.url}
    legacy_path: /api/v1/reports/*
    fallback:
      statuses: [500, 502, 503, 504, 429]
      breaker: { failures: 1000, cooldown_s: 10 }
`;
  gw = await startGateway({ LEGACY_URL: legacy.url, ROUTES_FILE: routesFile(yaml), RATE_LIMIT: 'off' });
});
after(async () => {
  await gw?.stop();
  await legacy?.close();
  await fresh?.close();
});

test('a GET the new side answers 500 is replayed to legacy: the client sees the legacy answer, counted as fallback', async () => {
  status = 500;
  const res = await send(`${gw.url}/api/v2/reports/q3?x=1`);
  assert.equal(res.status, 200);
  assert.equal(res.json().side, 'legacy');
  assert.equal(res.json().url, '/api/v1/reports/q3?x=1', 'legacy gets the legacy_path');
  assert.equal(fresh.hits(), 1, 'the new side was tried first');
  const counts = await requestCounts(gw.url, 'reports');
  assert.equal(counts['fallback 200'], 1, JSON.stringify(counts));
  assert.equal(counts['upstream 500'], undefined, 'the 500 never reached the client');
});

test("a listed status (429) falls back too; a 404 is the new side's real answer", async () => {
  status = 429;
  assert.equal((await send(`${gw.url}/api/v2/reports/a`)).json().side, 'legacy');
  status = 404;
  const res = await send(`${gw.url}/api/v2/reports/b`);
  assert.equal(res.status, 404);
  assert.equal(res.json().side, 'new');
});

test('a POST (a body) is never replayed: the client gets the new side 500', async () => {
  status = 500;
  const before = legacy.hits();
  const res = await send(`${gw.url}/api/v2/reports/c`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"a":1}',
  });
  assert.equal(res.status, 500);
  assert.equal(res.json().side, 'new');
  assert.equal(legacy.hits(), before, 'legacy never saw the POST');
  const counts = await requestCounts(gw.url, 'reports');
  assert.equal(counts['upstream 500'], 1, JSON.stringify(counts));
});

test('a new side that refuses connections falls back as well', async () => {
  await fresh.close();
  const res = await send(`${gw.url}/api/v2/reports/d`);
  assert.equal(res.status, 200);
  assert.equal(res.json().side, 'legacy');
});
