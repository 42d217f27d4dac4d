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

/**
 * The breaker only moves to half-open when a request asks it after the cooldown (the admin view and the gauge say
 * open until then), so the cooldown's end is awaited with requests: each answers from legacy without touching the
 * new side until one is let through as the probe. Resolves once the new side has seen that one request, with the
 * answer to it.
 */
async function awaitProbe(path: string): Promise<{ side: string }> {
  const hits = fresh.hits();
  let last: { side: string } | undefined;
  await waitFor(
    async () => {
      last = (await send(`${gw.url}${path}`)).json();
      if (fresh.hits() > hits) return true;
      assert.equal(last!.side, 'legacy', 'served by the new side while the breaker was open');
      return false;
    },
    3_000,
    { what: 'the probe after the 1 s cooldown', stepMs: 50 },
  );
  assert.equal(fresh.hits(), hits + 1, 'more than one probe reached the new side');
  return last!;
}

test('after the cooldown one probe goes to the new side; its success closes the breaker', async () => {
  failing = false;
  assert.equal((await awaitProbe('/api/v1/reports/z')).side, 'new', 'the probe');
  await waitFor(async () => (await breakerGauge()) === '0', 2_000);
  for (let i = 0; i < 5; i++) assert.equal((await send(`${gw.url}/api/v1/reports/z`)).json().side, 'new');
});

test('a failed probe opens it again for another cooldown', async () => {
  failing = true;
  let openedAt = 0;
  for (let i = 0; i < 3; i++) {
    // Taken as the third failure is sent: the breaker opens after that, so the time measured from here to the
    // probe's answer can only overcount the cooldown, never undercount it.
    if (i === 2) openedAt = performance.now();
    await send(`${gw.url}/api/v1/reports/x`);
  }
  assert.equal(await breakerGauge(), '1');
  assert.equal((await awaitProbe('/api/v1/reports/x')).side, 'legacy', 'probe failed, replayed');
  const waited = performance.now() - openedAt;
  assert.ok(waited >= 1_000, `the probe came ${Math.round(waited)} ms after the breaker opened, inside the cooldown`);
  const hits = fresh.hits();
  assert.equal((await send(`${gw.url}/api/v1/reports/x`)).json().side, 'legacy');
  assert.equal(fresh.hits(), hits, 'open again: not called');
});
