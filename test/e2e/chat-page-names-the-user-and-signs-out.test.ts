import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startBrowser, type RunningBrowser } from '../support/browser';
import { screenshot, signIn, watchConsole } from '../support/chat-page';
import { send } from '../support/http';
import { startStack, type Stack } from '../support/stack';
import { TEST_JWT_SECRET } from '../support/tokens';

let stack: Stack;
let browser: RunningBrowser;

before(async () => {
  [stack, browser] = await Promise.all([
    startStack({ JWT_SECRET: TEST_JWT_SECRET, RATE_LIMIT: 'off' }),
    startBrowser(),
  ]);
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

// Under the gateway's own HTML policy this time (CSP_MODE=enforce by default), not a test-supplied one.
test('the page shows who is signed in, and Sign out ends both sessions and returns to the sign-in form', async (t) => {
  const context = await browser.context();
  t.after(() => context.close());
  const page = await context.newPage();
  const problems = watchConsole(page);
  let accessToken = '';
  page.on('response', async (res) => {
    if (res.url().endsWith('/api/v2/auth/token') && res.status() === 200) accessToken = (await res.json()).access_token;
  });

  await page.goto(`${stack.gateway.url}/chat`);
  await signIn(page, 'bob', 'builder');
  await page.waitForSelector('#account:not([hidden])', { timeout: 10_000 });
  assert.equal(await page.textContent('#who'), 'bob');
  assert.match((await page.textContent('#account')) ?? '', /Signed in as bob/);
  t.diagnostic(`screenshot: ${await screenshot(page, 'chat-page-signed-in')}`);
  assert.ok(accessToken, 'the page got no v2 token');

  await page.click('#signout');
  await page.waitForSelector('#signin:not([hidden])', { timeout: 10_000 });
  assert.ok(await page.locator('#chat').isHidden());
  assert.ok(await page.locator('#account').isHidden());
  assert.equal(await page.textContent('#status'), 'Signed out.');
  // The v2 token is revoked, and the legacy session is gone: a reload asks to sign in again.
  const me = await send(`${stack.gateway.url}/api/v2/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  assert.equal(me.status, 401);
  await page.reload();
  await page.waitForSelector('#signin:not([hidden])', { timeout: 10_000 });
  assert.ok(await page.locator('#chat').isHidden());
  assert.deepEqual(problems, []);
});
