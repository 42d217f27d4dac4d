import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { send } from '../support/http';
import { startStack, type Stack } from '../support/stack';

let stack: Stack;
before(async () => {
  stack = await startStack({ RATE_LIMIT: 'off', CSP_MODE: 'off' });
});
after(async () => stack?.stop());

test('CSP_MODE=off: no CSP field from the gateway, no stamping, HTML bytes exactly as legacy sent them', async () => {
  for (const path of ['/api/v1/csp-demo', '/page', '/api/v1/items']) {
    const direct = await send(`${stack.legacy.url}${path}`);
    const res = await send(`${stack.gateway.url}${path}`, { headers: { 'x-csp-nonce': 'client-chosen' } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, direct.body, `${path}: bytes untouched`);
    assert.equal(res.headers['content-length'], direct.headers['content-length']);
    assert.equal(res.headers['content-security-policy-report-only'], undefined);
    assert.equal(res.headers['reporting-endpoints'], undefined);
    // The kill switch leaves the legacy page's own policy alone (it is the only one left); the rest stays on.
    assert.equal(res.headers['content-security-policy'], direct.headers['content-security-policy'], path);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  }
  // No nonce went upstream either, and a client's one never passes: the template rendered none.
  const page = (
    await send(`${stack.gateway.url}/page`, { headers: { 'x-csp-nonce': 'client-chosen' } })
  ).body.toString();
  assert.ok(!page.includes('nonce='));
  assert.equal((await send(`${stack.gateway.url}/api/v2/meta`)).headers['content-security-policy'], undefined);
});
