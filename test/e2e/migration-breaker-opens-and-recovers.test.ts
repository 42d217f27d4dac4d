import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { admin, ADMIN_TOKEN, requestCounts, sideUpstream, waitFor } from '../support/migration';

let legacy: CountingUpstream;
let fresh: CountingUpstream;
let gw: RunningGateway;
let failing = true;

before(async () => {
  legacy = await sideUpstream('legacy');
  fresh = await sideUpstream('new', () => (failing ? 503 : 200));
  const yaml = `
routes:
  - id: reports
    path: /api/v1/reports/*
    target: ${fresh.url}
    fallback: { breaker: { failures: 3, cooldown_s: 1 } }
`;
  gw = await startGateway({ LEGACY_URL: legacy.url, ROUTES_FILE: routesFile(yaml), RATE_LIMIT: 'off', ADMIN_TOKEN });
});
after(async () => {
  await gw?.stop();
  await legacy?.close();
  await fresh?.close();
});

const breakerGauge = async () =>
  /gateway_breaker_open\{route="reports"\} (\d)/.exec((await send(`${gw.url}/metrics`)).body.toString())?.[1];

test('after 3 failures the breaker opens: the new side is no longer called, clients get legacy', async () => {
  for (let i = 0; i < 3; i++) assert.equal((await send(`${gw.url}/api/v1/reports/x`)).json().side, 'legacy');
  assert.equal(fresh.hits(), 3);
  assert.equal(await breakerGauge(), '1');
  for (let i = 0; i < 10; i++) {
    // POSTs too: with the breaker open nothing goes to the new side, so nothing needs replaying.
    const res = await send(`${gw.url}/api/v1/reports/y`, {
      method: i % 2 ? 'POST' : 'GET',
      body: i % 2 ? 'x' : undefined,
    });
    assert.equal(res.json().side, 'legacy');
  }
  assert.equal(fresh.hits(), 3, 'the new side was left alone');
  const counts = await requestCounts(gw.url, 'reports');
  assert.equal(counts['fallback 200'], 13, JSON.stringify(counts));
  const routes = (await admin(gw.url, 'GET', '/admin/routes')).json().routes;
  assert.equal(routes.find((r: { id: string }) => r.id === 'reports').breaker, 'open');
});

test('after the cooldown one probe goes to the new side; its success closes the breaker', async () => {
  failing = false;
  await new Promise((r) => setTimeout(r, 1_100));
  assert.equal((await send(`${gw.url}/api/v1/reports/z`)).json().side, 'new', 'the probe');
  await waitFor(async () => (await breakerGauge()) === '0', 2_000);
  for (let i = 0; i < 5; i++) assert.equal((await send(`${gw.url}/api/v1/reports/z`)).json().side, 'new');
});

test('a failed probe opens it again for another cooldown', async () => {
  failing = true;
  for (let i = 0; i < 3; i++) await send(`${gw.url}/api/v1/reports/x`);
  assert.equal(await breakerGauge(), '1');
  await new Promise((r) => setTimeout(r, 1_100));
  const hits = fresh.hits();
  assert.equal((await send(`${gw.url}/api/v1/reports/x`)).json().side, 'legacy', 'probe failed, replayed');
  assert.equal(fresh.hits(), hits + 1);
  assert.equal((await send(`${gw.url}/api/v1/reports/x`)).json().side, 'legacy');
  assert.equal(fresh.hits(), hits + 1, 'open again: not called');
});
