import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { waitFor } from '../support/migration';

let legacy: CountingUpstream;
let fresh: CountingUpstream;
let gw: RunningGateway;

before(async () => {
  // The shadow side is slow: 1.5 s per answer.
  legacy = await startCountingUpstream((_req, res) => setTimeout(() => res.end('{"side":"legacy"}'), 1_500));
  fresh = await startCountingUpstream((_req, res) => res.end('{"side":"new"}'));
  const yaml = `
routes:
  - id: reports
    path: /api/v1/reports/*
    target: ${fresh.url}
    shadow: { to: legacy, sample: 1 }
`;
  gw = await startGateway({ LEGACY_URL: legacy.url, ROUTES_FILE: routesFile(yaml), RATE_LIMIT: 'off' });
});
after(async () => {
  await gw?.stop();
  await legacy?.close();
  await fresh?.close();
});

test('POST, PUT and DELETE are never shadowed', async () => {
  await send(`${gw.url}/api/v1/reports/x`, {
    method: 'POST',
    body: '{"a":1}',
    headers: { 'content-type': 'application/json' },
  });
  await send(`${gw.url}/api/v1/reports/x`, { method: 'PUT', body: '{}' });
  await send(`${gw.url}/api/v1/reports/x`, { method: 'DELETE' });
  // Proves an absence (no copy reaches legacy, nor the new side a second time): a shadow copy is sent the moment
  // the primary body is complete, so 300 ms after the client has all three answers is ample on loopback.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(legacy.hits(), 0);
  assert.equal(fresh.hits(), 3);
});

test('a slow shadow side adds no latency: the client has its answer long before the copy is back', async () => {
  const started = Date.now();
  const res = await send(`${gw.url}/api/v1/reports/y`);
  const took = Date.now() - started;
  assert.equal(res.body.toString(), '{"side":"new"}');
  assert.ok(took < 1_000, `the client waited ${took} ms`);
  await waitFor(() => legacy.hits() === 1, 3_000);
});
