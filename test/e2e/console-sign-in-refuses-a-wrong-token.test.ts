import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { postSession } from '../support/console';
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

test('a wrong or missing token is refused with 401 UNAUTHENTICATED and no cookie', async () => {
  for (const body of [{ token: `${ADMIN_TOKEN}x` }, { token: '' }, {}, { token: 42 }]) {
    const res = await postSession(gw.url, body);
    assert.equal(res.status, 401, JSON.stringify(body));
    assert.equal(res.json().code, 'UNAUTHENTICATED');
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.equal(res.headers['set-cookie'], undefined);
  }
});

test('sign-in without the console header is refused as cross-site (403 CSRF_REJECTED), even with the right token', async () => {
  const res = await postSession(gw.url, { token: ADMIN_TOKEN }, {});
  assert.equal(res.status, 403);
  assert.equal(res.json().code, 'CSRF_REJECTED');
  assert.equal(res.headers['set-cookie'], undefined);
  const foreign = await postSession(
    gw.url,
    { token: ADMIN_TOKEN },
    { 'x-figway-console': '1', origin: 'http://evil.example' },
  );
  assert.equal(foreign.status, 403);
  assert.equal(foreign.json().code, 'CSRF_REJECTED');
});
