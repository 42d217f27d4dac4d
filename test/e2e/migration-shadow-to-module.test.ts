import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { admin, ADMIN_TOKEN, requestCounts, sideUpstream, waitFor } from '../support/migration';

let legacy: CountingUpstream;
let gw: RunningGateway;

before(async () => {
  legacy = await sideUpstream('legacy');
  const yaml = `
routes:
  - id: v2-meta
    path: /api/v2/meta
    methods: [GET]
    target: module:meta
    legacy_path: /api/v1/meta
    weights: { legacy: 100, new: 0 }
    shadow: { to: new, sample: 1, ignore: ['$.n'] }
`;
  gw = await startGateway({ LEGACY_URL: legacy.url, ROUTES_FILE: routesFile(yaml), RATE_LIMIT: 'off', ADMIN_TOKEN });
});
after(async () => {
  await gw?.stop();
  await legacy?.close();
});

test('legacy primary, v2 module shadow (fastify.inject): the difference is recorded, the copy is not client traffic', async () => {
  const res = await send(`${gw.url}/api/v2/meta`);
  assert.equal(res.json().side, 'legacy', 'the client gets the primary (legacy) answer');
  let diffs: { shadow: { side: string; body: string }; differences: { path: string }[] }[] = [];
  await waitFor(async () => (diffs = (await admin(gw.url, 'GET', '/admin/shadow')).json().diffs).length === 1, 3_000);
  assert.equal(diffs[0].shadow.side, 'new');
  assert.match(diffs[0].shadow.body, /"service":"figway"/);
  const paths = diffs[0].differences.map((d) => d.path).sort();
  // Nest adds '; charset=utf-8' where the legacy app sends plain application/json: a real (header) difference.
  assert.deepEqual(paths, ['$.api', '$.service', '$.side', '$.url', '$.version', 'header content-type']);
  const counts = await requestCounts(gw.url, 'v2-meta');
  assert.deepEqual(counts, { 'legacy 200': 1 }, 'the injected copy is not counted as a request');
});
