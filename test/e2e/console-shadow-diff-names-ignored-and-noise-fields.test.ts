import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { admin, ADMIN_TOKEN, waitFor } from '../support/migration';
import { getSse } from '../support/sse-client';

let legacy: CountingUpstream;
let fresh: CountingUpstream;
let gw: RunningGateway;
let clock = 0;

/** JSON with a counter that changes on every call (noise), a stamp the route ignores, and a total that differs. */
function side(name: string) {
  return startCountingUpstream((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('set-cookie', 'sid=secret-value');
    res.end(JSON.stringify({ total: name === 'legacy' ? 4 : 3, served_at: ++clock, generated_at: `${name}-build` }));
  });
}

before(async () => {
  legacy = await side('legacy');
  fresh = await side('new');
  const yaml = `
routes:
  - id: reports
    path: /api/v1/reports/*
    target: ${fresh.url}
    shadow:
      to: legacy
      sample: 1
      compare_headers: [content-type, set-cookie]
      ignore: ['$.generated_at']
`;
  gw = await startGateway({ LEGACY_URL: legacy.url, ROUTES_FILE: routesFile(yaml), RATE_LIMIT: 'off', ADMIN_TOKEN });
});
after(async () => {
  await gw?.stop();
  await legacy?.close();
  await fresh?.close();
});

test('a shadow difference names the ignored paths as written and the noise the filter removed; values stay redacted', async () => {
  assert.equal((await send(`${gw.url}/api/v1/reports/x`)).status, 200);
  let diffs: any[] = [];
  await waitFor(async () => (diffs = (await admin(gw.url, 'GET', '/admin/shadow')).json().diffs).length === 1, 5_000);
  const [d] = diffs;
  assert.deepEqual(
    d.differences.map((x: any) => x.path),
    ['$.total'],
    'served_at (noise) and generated_at (ignored) are not differences',
  );
  assert.deepEqual(d.ignored, ['$.generated_at']);
  assert.deepEqual(d.noise, ['$.served_at']);
  assert.equal(d.primary.headers['set-cookie'], '[redacted]');
  assert.equal(d.shadow.headers['set-cookie'], '[redacted]');
  assert.ok(!JSON.stringify(d).includes('secret-value'));

  // The console's stream carries the same entries.
  const stream = await getSse(`${gw.url}/admin/events`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    stopWhen: (e) => e.event === 'snapshot',
    timeoutMs: 10_000,
  });
  assert.deepEqual(stream.events[0].data.shadow, diffs);
});
