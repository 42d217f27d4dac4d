import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { send } from '../support/http';
import { startStack, type Stack } from '../support/stack';

let s: Stack;
before(async () => (s = await startStack()));
after(() => s?.stop());

for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
  test(`${method} reaches legacy with its body and comes back unchanged`, async () => {
    const body = method === 'GET' || method === 'OPTIONS' ? undefined : JSON.stringify({ n: 1, method });
    const headers = body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {};
    const viaGateway = await send(`${s.gateway.url}/api/v1/echo/x?y=1`, { method, headers, body });
    const direct = await send(`${s.legacy.url}/api/v1/echo/x?y=1`, { method, headers, body });
    assert.equal(viaGateway.status, direct.status);
    const g = viaGateway.json();
    const d = direct.json();
    assert.equal(g.method, method);
    assert.equal(g.body_sha256, d.body_sha256);
    assert.equal(g.body_bytes, body ? Buffer.byteLength(body) : 0);
    assert.equal(g.raw_uri, '/api/v1/echo/x?y=1');
  });
}

test('HEAD answers the headers GET would, with no body', async () => {
  const head = await send(`${s.gateway.url}/api/v1/download?size=12345`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], '12345');
  assert.equal(head.body.length, 0);
});

test('a JSON body is forwarded byte for byte, never re-serialised', async () => {
  // Whitespace, key order and a duplicate key would all be lost by a parse + stringify.
  const body = '{ "b":1,  "a" : [1,2],"a":3 }';
  const res = await send(`${s.gateway.url}/api/v1/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const { createHash } = await import('node:crypto');
  assert.equal(res.json().body_sha256, createHash('sha256').update(body).digest('hex'));
});

test('a body of a type nobody parses (or with no type at all) passes through', async () => {
  for (const headers of [{ 'content-type': 'application/x-weird' }, {}]) {
    const res = await send(`${s.gateway.url}/api/v1/echo`, { method: 'POST', headers, body: 'raw bytes' });
    assert.equal(res.status, 200);
    assert.equal(res.json().body_bytes, 9);
  }
});

test('extension methods (WebDAV PROPFIND, QUERY) reach legacy too, which answers them', async () => {
  for (const method of ['PROPFIND', 'QUERY']) {
    const [via, direct] = await Promise.all([
      send(`${s.gateway.url}/api/v1/echo`, { method }),
      send(`${s.legacy.url}/api/v1/echo`, { method }),
    ]);
    assert.equal(via.status, direct.status, method);
    assert.equal(via.body.toString(), direct.body.toString(), method);
  }
});
