import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startBrowser, type RunningBrowser } from '../support/browser';
import { screenshot, signIn } from '../support/chat-page';
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

test('a wrong password says so beside the form, and the right one then signs in', async (t) => {
  const context = await browser.context();
  t.after(() => context.close());
  const page = await context.newPage();
  await page.goto(`${stack.gateway.url}/chat`);
  await signIn(page, 'alice', 'looking-glass');
  await page.waitForSelector('#signin-error:not([hidden])', { timeout: 10_000 });
  t.diagnostic(`screenshot: ${await screenshot(page, 'chat-page-wrong-password')}`);
  assert.equal(await page.textContent('#signin-error'), 'Wrong user name or password.');
  assert.equal(await page.getAttribute('#signin-error', 'role'), 'alert');
  assert.ok(await page.locator('#chat').isHidden());
  assert.equal(await page.inputValue('#password'), '', 'the wrong password stays in the box');
  assert.equal(await page.inputValue('#username'), 'alice', 'the user name was lost');

  await page.fill('#password', 'wonderland');
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#chat:not([hidden])', { timeout: 10_000 });
  assert.ok(await page.locator('#signin-error').isHidden(), 'the error outlived a good sign-in');
});
