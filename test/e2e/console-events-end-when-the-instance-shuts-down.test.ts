import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CountingUpstream } from '../support/counting-upstream';
import { startGateway, type RunningGateway } from '../support/gateway';
import { ADMIN_TOKEN, sideUpstream } from '../support/migration';
import { getSse } from '../support/sse-client';

let legacy: CountingUpstream;
let gw: RunningGateway;

before(async () => {
  legacy = await sideUpstream('legacy');
  // A long grace: a stream left open would hold the drain this long, far past what the test allows.
  gw = await startGateway({ LEGACY_URL: legacy.url, RATE_LIMIT: 'off', ADMIN_TOKEN, SHUTDOWN_GRACE_MS: '20000' });
});
after(async () => {
  await gw?.stop('SIGKILL');
  await legacy?.close();
});

test('SIGTERM ends an open /admin/events stream at once, so the drain does not wait for the console', async () => {
  let exited: Promise<number | null> | undefined;
  let signalledAt = 0;
  const stream = await getSse(`${gw.url}/admin/events`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    stopWhen: (e) => {
      if (e.event === 'snapshot' && !exited) {
        signalledAt = Date.now();
        exited = gw.child.stop('SIGTERM', 30_000);
      }
      return false;
    },
    timeoutMs: 30_000,
  });
  const ended = Date.now() - signalledAt;
  assert.ok(stream.events.length >= 1);
  assert.ok(ended < 5_000, `the stream ended ${ended} ms after SIGTERM`);
  assert.equal(await exited, 0, 'a clean shutdown');
  assert.ok(Date.now() - signalledAt < 10_000, 'the process exited well within the 20 s grace');
});
