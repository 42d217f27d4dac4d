import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { admin, ADMIN_TOKEN, waitFor } from '../support/migration';

let legacy: CountingUpstream;
let fresh: CountingUpstream;
let gw: RunningGateway;
let clock = 0;

/** Both sides answer JSON with a counter that changes on every call (volatile) and a stamp ignored by config. */
function side(name: string) {
  return startCountingUpstream((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('set-cookie', 'sid=secret-value');
    const total = req.url!.includes('differ') && name === 'legacy' ? 4 : 3;
    res.end(JSON.stringify({ total, served_at: ++clock, generated_at: `${name}-build`, items: [{ id: 1 }] }));
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

async function shadowCounts() {
  const text = (await send(`${gw.url}/metrics`)).body.toString();
  const n = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
  return {
    diffs: n(/^gateway_shadow_diffs_total\{route="reports"\} (\d+)/m),
    same: n(/^gateway_shadow_total\{route="reports",result="same"\} (\d+)/m),
    diff: n(/^gateway_shadow_total\{route="reports",result="diff"\} (\d+)/m),
  };
}

test('a volatile field (differs between two primary answers) and an ignored one are not differences', async () => {
  const res = await send(`${gw.url}/api/v1/reports/same`, { headers: { cookie: 'figway_bucket=abcdefgh12345678' } });
  assert.equal(res.status, 200);
  assert.equal(res.json().generated_at, 'new-build', 'the client gets the primary answer');
  await waitFor(async () => (await shadowCounts()).same === 1, 3_000);
  assert.equal((await shadowCounts()).diffs, 0);
  assert.equal(legacy.hits(), 1, 'legacy got one shadow copy');
  assert.equal(fresh.hits(), 2, 'the primary answered the client and once more for the noise filter');
});

test('a real difference is counted and kept, redacted, at GET /admin/shadow', async () => {
  await send(`${gw.url}/api/v1/reports/differ?token=secret`, { headers: { authorization: 'Bearer abc' } });
  await waitFor(async () => (await shadowCounts()).diffs === 1, 3_000);
  assert.equal((await shadowCounts()).diff, 1);
  const recent = (await admin(gw.url, 'GET', '/admin/shadow')).json().diffs;
  assert.equal(recent.length, 1);
  const d = recent[0];
  assert.equal(d.route, 'reports');
  assert.equal(d.path, '/api/v1/reports/differ', 'no query string');
  assert.deepEqual(d.differences, [{ path: '$.total', primary: 3, shadow: 4 }]);
  assert.equal(d.primary.headers['set-cookie'], '[redacted]');
  assert.doesNotMatch(JSON.stringify(recent), /secret|Bearer abc/);
});
