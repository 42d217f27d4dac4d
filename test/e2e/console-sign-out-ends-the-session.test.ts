import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CONSOLE_HEADERS, parseSetCookie, signIn, withCookie } from '../support/console';
import type { CountingUpstream } from '../support/counting-upstream';
import { startGateway, type RunningGateway } from '../support/gateway';
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

test('DELETE /admin/session ends the session in the store and clears the cookie; the old cookie no longer works', async () => {
  const cookie = await signIn(gw.url);
  assert.equal((await withCookie(gw.url, cookie, 'GET', '/admin/assets/console.js')).status, 200);
  const out = await withCookie(gw.url, cookie, 'DELETE', '/admin/session', { headers: CONSOLE_HEADERS });
  assert.equal(out.status, 204);
  const cleared = parseSetCookie(out);
  assert.equal(cleared.name, 'figway_admin');
  assert.equal(cleared.value, '');
  assert.equal(cleared.attrs.get('max-age'), '0');
  assert.equal(cleared.attrs.get('path'), '/admin');
  // A client that kept the old value (a copy, another tab's stale jar) is signed out too: the store forgot it.
  assert.deepEqual((await withCookie(gw.url, cookie, 'GET', '/admin/session')).json(), {
    signed_in: false,
    expires_at: null,
  });
  assert.equal((await withCookie(gw.url, cookie, 'GET', '/admin/assets/console.js')).status, 401);
  assert.match((await withCookie(gw.url, cookie, 'GET', '/admin/')).body.toString(), /id="token"/);
});
