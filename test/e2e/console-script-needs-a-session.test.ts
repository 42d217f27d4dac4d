import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { signIn, withCookie } from '../support/console';
import type { CountingUpstream } from '../support/counting-upstream';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { ADMIN_TOKEN, sideUpstream } from '../support/migration';

let legacy: CountingUpstream;
let gw: RunningGateway;

before(async () => {
  legacy = await sideUpstream('legacy');
  gw = await startGateway({ LEGACY_URL: legacy.url, RATE_LIMIT: 'off', ADMIN_TOKEN });
});
after(async () => {
  await gw?.stop();
  await legacy?.close();
});

test('console.js and the admin API answer 401 without a session; with one, console.js is served', async () => {
  for (const path of ['/admin/assets/console.js', '/admin/events', '/admin/routes', '/admin/flags']) {
    const res = await send(`${gw.url}${path}`);
    assert.equal(res.status, 401, path);
    assert.equal(res.json().code, 'UNAUTHENTICATED', path);
  }
  const forged = await send(`${gw.url}/admin/assets/console.js`, {
    headers: { cookie: `figway_admin=${'A'.repeat(43)}` },
  });
  assert.equal(forged.status, 401, 'a well-formed id the store does not hold');
  const res = await withCookie(gw.url, await signIn(gw.url), 'GET', '/admin/assets/console.js');
  assert.equal(res.status, 200);
  assert.match(String(res.headers['content-type']), /^text\/javascript/);
  assert.equal(res.headers['cache-control'], 'no-cache');
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.ok(res.body.length > 0);
});
