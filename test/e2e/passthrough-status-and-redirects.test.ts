import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { send } from '../support/http';
import { startStack, type Stack } from '../support/stack';

let s: Stack;
before(async () => (s = await startStack()));
after(() => s?.stop());

for (const code of [200, 201, 202, 204, 301, 400, 401, 403, 404, 409, 418, 422, 429, 500, 502, 503]) {
  test(`legacy status ${code} is relayed as is`, async () => {
    const [via, direct] = await Promise.all([
      send(`${s.gateway.url}/api/v1/status/${code}`),
      send(`${s.legacy.url}/api/v1/status/${code}`),
    ]);
    assert.equal(via.status, code);
    assert.equal(via.body.toString(), direct.body.toString());
    assert.equal(via.headers['content-type'], direct.headers['content-type']);
  });
}

test('redirects are relayed, not followed, Location untouched', async () => {
  const rel = await send(`${s.gateway.url}/api/v1/redirect`);
  assert.equal(rel.status, 302);
  assert.equal(rel.headers.location, '/api/v1/items');
  const abs = await send(`${s.gateway.url}/api/v1/redirect/absolute`);
  assert.equal(abs.status, 301);
  assert.equal(abs.headers.location, 'http://example.invalid/elsewhere');
});

test('a conditional GET gets the legacy 304 with its ETag and no body', async () => {
  const first = await send(`${s.gateway.url}/api/v1/etag`);
  assert.equal(first.status, 200);
  const etag = first.headers.etag as string;
  assert.ok(etag);
  const again = await send(`${s.gateway.url}/api/v1/etag`, { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
  assert.equal(again.headers.etag, etag);
  assert.equal(again.body.length, 0);
});

test('several Set-Cookie headers stay separate, commas inside Expires included', async () => {
  const res = await send(`${s.gateway.url}/api/v1/cookies`);
  const cookies = res.rawHeaders.filter(
    (_, i) => i % 2 === 0 && res.rawHeaders[i].toLowerCase() === 'set-cookie',
  ).length;
  assert.equal(cookies, 3);
  assert.deepEqual(res.headers['set-cookie'], [
    'a=1; Path=/',
    'b=2; Path=/; HttpOnly',
    'c=3; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT',
  ]);
});

test('a login through the gateway keeps every cookie and the session works on the next call', async () => {
  const login = await send(`${s.gateway.url}/api/v1/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: 'wonderland' }),
  });
  assert.equal(login.status, 200);
  const cookies = (login.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]);
  assert.ok(cookies.length >= 3, `got ${cookies.join(' | ')}`);
  const me = await send(`${s.gateway.url}/api/v1/me`, { headers: { cookie: cookies.join('; ') } });
  assert.equal(me.status, 200);
  assert.equal(me.json().username, 'alice');
});
