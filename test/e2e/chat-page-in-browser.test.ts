import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startBrowser, type RunningBrowser } from '../support/browser';
import { send } from '../support/http';
import { startStack, type Stack } from '../support/stack';
import { TEST_JWT_SECRET } from '../support/tokens';

let stack: Stack;
let browser: RunningBrowser;

before(async () => {
  [stack, browser] = await Promise.all([
    startStack({ JWT_SECRET: TEST_JWT_SECRET, RATE_LIMIT: 'off', LLM_LOCAL_TOKEN_DELAY_MS: '120' }),
    startBrowser(),
  ]);
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

// The policy another part of the gateway will send on every response; the page must work under it.
const STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

test('the page has no inline script, style or event handler', async () => {
  const html = (await send(`${stack.gateway.url}/chat`)).body.toString();
  assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(html), 'inline <script>');
  assert.ok(!/<style|\sstyle=/i.test(html), 'inline style');
  assert.ok(!/\son[a-z]+=/i.test(html), 'inline event handler');
  const js = await send(`${stack.gateway.url}/chat/app.js`);
  assert.equal(js.status, 200);
  assert.match(String(js.headers['content-type']), /^text\/javascript/);
});

test('a legacy user signs in on /chat, sees the legacy history and watches the reply grow under a strict CSP', async () => {
  const context = await browser.context();
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  page.on('pageerror', (e) => violations.push(e.message));
  // Only the document: its policy governs the page, and intercepting the API calls would buffer the stream.
  await page.route(`${stack.gateway.url}/chat`, async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': STRICT_CSP } });
  });

  await page.goto(`${stack.gateway.url}/chat`);
  await page.waitForSelector('#signin:not([hidden])', { timeout: 10_000 });
  await page.fill('#username', 'alice');
  await page.fill('#password', 'wonderland');
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#chat:not([hidden])', { timeout: 10_000 });
  // Locators, not page.evaluate: under the strict policy the page forbids eval, Playwright's string predicates too.
  await page.locator('#messages li').nth(1).waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#messages li').count(), 2);
  assert.match(await page.textContent('#messages li:first-child .text') ?? '', /Hello, who are you tonight\?/);

  await page.fill('#message', 'Is there a room free tonight?');
  await page.click('#send');
  // Sample the reply as it renders: with 120 ms between words the page must show it partially, more than once.
  const seen = new Set<string>();
  const deadline = Date.now() + 20_000;
  let final = '';
  while (Date.now() < deadline) {
    const state = {
      text: (await page.locator('#messages li.assistant .text').last().textContent()) ?? '',
      status: (await page.textContent('#status')) ?? '',
    };
    if (state.status.startsWith('Done')) {
      final = state.text;
      break;
    }
    if (state.text) seen.add(state.text);
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.match(final, /^You said "Is there a room free tonight\?" \(turn 2, local-flash\)\./);
  // Proper prefixes of the final reply: the same message element, caught part-way, at two or more lengths.
  const partial = [...seen].filter((t) => t.length < final.length && final.startsWith(t));
  assert.ok(partial.length >= 2, `the reply did not grow in the page (seen: ${JSON.stringify([...seen])})`);
  assert.deepEqual(violations, []);
  await context.close();
});
