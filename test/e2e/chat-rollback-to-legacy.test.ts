import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { send } from '../support/http';
import { legacyLogin } from '../support/legacy-login';
import { postSse, textOf } from '../support/sse-client';
import { startStack, type Stack } from '../support/stack';
import { TEST_JWT_SECRET, tokens } from '../support/tokens';

let stack: Stack;
before(async () => {
  stack = await startStack({ ROUTE_ALL_TO_LEGACY: 'true', RATE_LIMIT: 'off', JWT_SECRET: TEST_JWT_SECRET });
});
after(() => stack?.stop());

test('ROUTE_ALL_TO_LEGACY=true sends /api/v2/chat and its history to the legacy app at their legacy_path', async () => {
  const url = stack.gateway.url;
  const cookie = await legacyLogin(url);
  // As the /chat page sends it: the v2 token (the route still authenticates) and the legacy cookie (legacy's own).
  const headers = { cookie, authorization: `Bearer ${tokens.valid({ sub: '1' })}` };
  const res = await postSse(`${url}/api/v2/chat`, { headers, body: { message: 'still there?' } });
  assert.equal(res.status, 200, res.body);
  assert.equal(textOf(res).trim(), 'Legacy says: still there?');
  assert.equal(res.events.at(-1)?.event, 'done');
  const history = await send(`${url}/api/v2/chat/history`, { headers });
  assert.equal(history.status, 200);
  assert.ok(Array.isArray(history.json().messages));
});
