import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { metric } from '../support/chat';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { refusingPort, type RefusingPort } from '../support/ports';
import { waitFor } from '../support/wait';

/**
 * Upstream pool health in /metrics (issue 6): which instances are in rotation, and how many requests wait for a
 * connection, the signal that long-lived streams hold all UPSTREAM_CONNECTIONS.
 */
let upstream: CountingUpstream;
let dead: RefusingPort;
let gw: RunningGateway;

before(async () => {
  upstream = await startCountingUpstream((req, res) => {
    // /hold answers after 800 ms: with one connection per instance, concurrent ones wait in the pool.
    setTimeout(() => res.end('ok'), req.url?.startsWith('/api/v1/hold') ? 800 : 0);
  });
  // Refused for the whole file (the test is about an instance that refuses connections): no parallel test's
  // server can take the port, as one could take a freePort() number.
  dead = await refusingPort();
  gw = await startGateway({
    LEGACY_URL: `${upstream.url},${dead.url}`,
    UPSTREAM_CONNECTIONS: '1',
    RATE_LIMIT: 'off',
    CACHE_ENABLED: 'false',
  });
});
after(async () => {
  await gw?.stop();
  await upstream?.close();
  await dead?.release();
});

test('an instance that refuses connections is reported out of rotation, the live one in', async () => {
  // Round-robin: within a few GETs one goes to the dead instance, is refused and moves to the live one.
  for (let i = 0; i < 4; i++) assert.equal((await send(`${gw.url}/api/v1/items/${i}`)).status, 200);
  assert.equal(await metric(gw, 'gateway_upstream_up', { upstream: dead.url }), 0);
  assert.equal(await metric(gw, 'gateway_upstream_up', { upstream: upstream.url }), 1);
});

test('requests waiting for a free upstream connection show as queued while they wait, and drain', async () => {
  const held = Promise.all([1, 2, 3].map((i) => send(`${gw.url}/api/v1/hold/${i}`)));
  // Each holds the one connection 800 ms: the others queue behind it as soon as they reach the pool.
  await waitFor(
    async () =>
      ((await metric(gw, 'gateway_upstream_connections', { upstream: upstream.url, state: 'queued' })) ?? 0) >= 1,
    5_000,
    { what: 'a request queued behind the busy connection' },
  );
  assert.equal(
    await metric(gw, 'gateway_upstream_connections', { upstream: upstream.url, state: 'busy' }),
    1,
    'one connection, busy',
  );
  assert.ok(
    (await metric(gw, 'gateway_upstream_connections', { upstream: upstream.url, state: 'queued' }))! >= 1,
    'the others wait',
  );
  for (const res of await held) assert.equal(res.status, 200);
  assert.equal(await metric(gw, 'gateway_upstream_connections', { upstream: upstream.url, state: 'queued' }), 0);
});
