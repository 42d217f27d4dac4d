import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { send } from '../support/http';
import { startStack, type Stack } from '../support/stack';

let s: Stack;
before(async () => (s = await startStack()));
after(() => s?.stop());

const targets = [
  '/api/v1/echo/a%2Fb',
  '/api/v1/echo/a%2fb/%25/%E2%82%AC',
  '/api/v1/echo/x?q=%20a+b&q=2&empty=&flag',
  '/api/v1/echo/semi;colon=1/x',
  '/api/v1/echo/' + 'long-segment-'.repeat(40),
];

for (const target of targets) {
  test(`request target ${target.slice(0, 50)} reaches legacy exactly as sent`, async () => {
    const res = await send(s.gateway.url + target);
    assert.equal(res.status, 200, res.body.toString());
    assert.equal(res.json().raw_uri, target);
  });
}

test('a double slash is merged before routing, and legacy receives the path the route was chosen on', async () => {
  const res = await send(s.gateway.url + '/api/v1/echo//double//slash?x=1');
  assert.equal(res.status, 200);
  assert.equal(res.json().raw_uri, '/api/v1/echo/double/slash?x=1');
});
