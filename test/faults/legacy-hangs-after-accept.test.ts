// Pass criterion: with a legacy that accepts TCP connections and never answers, 20 concurrent GETs lose nothing:
// every one gets 504 UPSTREAM_TIMEOUT problem+json no sooner than UPSTREAM_TIMEOUT_MS (1 s) minus 100 ms and
// no later than UPSTREAM_TIMEOUT_MS + 2 s (undici checks its timeouts on a coarse ~0.5 s tick, so a 1 s timeout
// fires at 1.5-2 s; the rest is slack for a loaded 2-core CI); meanwhile /health, polled every 100 ms, never takes more than 500 ms.
// The upstream-failures e2e test covers one hanging request; this one shows that hung sockets pile up without
// starving the gateway's event loop, its health endpoint, or each other's timers.
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';

const TIMEOUT_MS = 1_000;
const CONCURRENCY = 20;

const sockets = new Set<Socket>();
let accepted = 0;
// Reads whatever arrives (so the gateway's writes never block) and says nothing back.
const silent = createServer((s) => {
  accepted++;
  sockets.add(s);
  s.on('close', () => sockets.delete(s));
  s.on('error', () => {});
  s.resume();
});
let gw: RunningGateway;

before(async () => {
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as { port: number }).port;
  gw = await startGateway({
    LEGACY_URL: `http://127.0.0.1:${port}`,
    UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS),
    RATE_LIMIT: 'off',
  });
});

after(async () => {
  await gw?.stop();
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
});

test(`${CONCURRENCY} concurrent GETs to a silent legacy all get 504 problem+json near UPSTREAM_TIMEOUT_MS, health stays fast`, async () => {
  let polling = true;
  const healthMs: number[] = [];
  const healthStatuses: number[] = [];
  const poller = (async () => {
    while (polling) {
      const t0 = performance.now();
      const res = await send(`${gw.url}/health`, { timeoutMs: 5_000 });
      healthMs.push(performance.now() - t0);
      healthStatuses.push(res.status);
      // The probe's pace (every 100 ms while the requests hang), not a wait.
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  const results = await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, i) => {
      const t0 = performance.now();
      const res = await send(`${gw.url}/api/v1/hang/${i}`, { timeoutMs: 10_000 });
      return { res, ms: performance.now() - t0 };
    }),
  );
  polling = false;
  await poller;

  for (const { res, ms } of results) {
    assert.equal(res.status, 504, res.body.toString());
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.equal(res.json().code, 'UPSTREAM_TIMEOUT');
    assert.ok(ms >= TIMEOUT_MS - 100, `a 504 came after ${Math.round(ms)} ms, before the configured timeout`);
    assert.ok(ms < TIMEOUT_MS + 2_000, `a 504 came after ${Math.round(ms)} ms`);
  }
  // Every request reached the silent upstream (a timeout is not retried: the request may be running there).
  assert.ok(accepted >= 1, 'the upstream never saw a connection');
  assert.ok(healthMs.length >= 5, `only ${healthMs.length} health probes ran`);
  assert.ok(
    healthStatuses.every((s) => s === 200),
    healthStatuses.join(','),
  );
  const slowest = Math.max(...healthMs);
  assert.ok(slowest < 500, `/health took ${Math.round(slowest)} ms while upstream requests hung`);
  // The numbers the README quotes.
  const worst = Math.max(...results.map((r) => r.ms));
  console.log(
    `# hang: worst 504 after ${Math.round(worst)} ms (timeout ${TIMEOUT_MS}), slowest /health ${Math.round(slowest)} ms`,
  );
});
