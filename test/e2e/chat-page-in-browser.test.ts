import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startBrowser, type RunningBrowser } from '../support/browser';
import { screenshot, signIn, watchConsole } from '../support/chat-page';
import { send } from '../support/http';
import { startStack, type Stack } from '../support/stack';
import { TEST_JWT_SECRET } from '../support/tokens';
import { waitFor } from '../support/wait';

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

// Stricter than the gateway's own HTML policy (no nonces, no data: images): the page must need none of it.
const STRICT_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

test('the page has no inline script, style or event handler; its script, stylesheet and icon are same-origin files', async () => {
  const html = (await send(`${stack.gateway.url}/chat`)).body.toString();
  assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(html), 'inline <script>');
  assert.ok(!/<style|\sstyle=/i.test(html), 'inline style');
  assert.ok(!/\son[a-z]+=/i.test(html), 'inline event handler');
  for (const [path, type] of [
    ['/chat/app.js', /^text\/javascript/],
    ['/chat/app.css', /^text\/css/],
    ['/chat/icon.svg', /^image\/svg\+xml/],
  ] as const) {
    assert.ok(html.includes(`"${path}"`), `the page does not use ${path}`);
    const res = await send(`${stack.gateway.url}${path}`);
    assert.equal(res.status, 200, path);
    assert.match(String(res.headers['content-type']), type, path);
  }
});

test('a legacy user signs in, sees the legacy history, presses Enter and watches the reply grow; the console stays clean', async (t) => {
  const context = await browser.context();
  t.after(() => context.close());
  const page = await context.newPage();
  const problems = watchConsole(page);
  // Only the document: its policy governs the page, and intercepting the API calls would buffer the stream.
  await page.route(`${stack.gateway.url}/chat`, async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': STRICT_CSP } });
  });

  await page.goto(`${stack.gateway.url}/chat`);
  await signIn(page, 'alice', 'wonderland');
  await page.waitForSelector('#chat:not([hidden])', { timeout: 10_000 });
  // Locators, not page.evaluate: under the strict policy the page forbids eval, Playwright's string predicates too.
  await page.locator('#messages li').nth(1).waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#messages li').count(), 2);
  assert.match((await page.textContent('#messages li:first-child .text')) ?? '', /Hello, who are you tonight\?/);

  // Shift+Enter is a new line in the message, not a send.
  await page.fill('#message', 'first line');
  await page.press('#message', 'Shift+Enter');
  assert.equal(await page.inputValue('#message'), 'first line\n');
  assert.equal(await page.locator('#messages li').count(), 2);

  await page.fill('#message', 'Is there a room free tonight?');
  await page.press('#message', 'Enter');
  // Sample the reply as it renders until the status says Done: with 120 ms between words the page must show it
  // partially, more than once. The samples are the point, so the wait polls (every 25 ms) rather than awaits Done.
  const seen = new Set<string>();
  let final = '';
  await waitFor(
    async () => {
      const text = (await page.locator('#messages li.assistant .text').last().textContent()) ?? '';
      if (((await page.textContent('#status')) ?? '').startsWith('Done')) {
        final = text;
        return true;
      }
      if (text) seen.add(text);
      return false;
    },
    20_000,
    { what: 'the status to say Done', detail: () => `seen so far: ${JSON.stringify([...seen])}` },
  ).finally(async () => t.diagnostic(`screenshot: ${await screenshot(page, 'chat-page-reply')}`));
  assert.match(final, /^You said "Is there a room free tonight\?" \(turn 2, local-flash\)\./);
  assert.equal(await page.inputValue('#message'), '', 'Enter left the message in the box');
  // Proper prefixes of the final reply: the same message element, caught part-way, at two or more lengths.
  const partial = [...seen].filter((t) => t.length < final.length && final.startsWith(t));
  assert.ok(partial.length >= 2, `the reply did not grow in the page (seen: ${JSON.stringify([...seen])})`);
  // From load to reply: the signed-out probe, the icon, the stylesheet and the stream all without an error.
  assert.deepEqual(problems, []);
});
