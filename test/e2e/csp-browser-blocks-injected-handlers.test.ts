import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startBrowser, type RunningBrowser } from '../support/browser';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';

/** Page expressions are strings: the test build has no DOM typings. */
/**
 * A real browser through the gateway: the legacy page's inline script carries no nonce of its own, so it runs only
 * because the gateway stamped it; its inline event handlers stand for an injection and must be blocked, and the
 * violation must be reported back to the gateway (report-uri over plain HTTP, see csp-policy.ts).
 */
let stack: Stack;
let reportOnly: RunningGateway;
let browser: RunningBrowser;

before(async () => {
  stack = await startStack({ RATE_LIMIT: 'off', CSP_MODE: 'enforce' });
  reportOnly = await startGateway({ LEGACY_URL: stack.legacy.url, RATE_LIMIT: 'off', CSP_MODE: 'report-only' });
  browser = await startBrowser();
});
after(async () => {
  await browser?.close();
  await reportOnly?.stop();
  await stack?.stop();
});

async function reports(gatewayUrl: string, directive: string): Promise<number> {
  const text = (await send(`${gatewayUrl}/metrics`)).body.toString();
  const m = new RegExp(`^gateway_csp_reports_total\\{directive="${directive}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 45_000): Promise<void> {
  await waitFor(check, timeoutMs, { what, stepMs: 250 });
}

async function load(gatewayUrl: string, path: string) {
  const page = await (await browser.context()).newPage();
  await page.goto(`${gatewayUrl}${path}`);
  await page.waitForFunction("document.documentElement.dataset.external === 'ran'", undefined, { timeout: 15_000 });
  // The broken image's error event fires (or is blocked) once it loaded; then the button is clicked.
  await page.waitForFunction("document.getElementById('probe').complete", undefined, { timeout: 15_000 });
  await page.click('#inject');
  return page;
}

test('enforce: stamped inline and external scripts run, inline handlers are blocked and reported', async () => {
  const before = await reports(stack.gateway.url, 'script-src-attr');
  const page = await load(stack.gateway.url, '/api/v1/csp-demo');
  assert.equal(await page.evaluate('window.inlineRan'), 'yes');
  assert.equal(await page.evaluate('document.documentElement.dataset.inline'), 'ran');
  assert.equal(await page.textContent('#external'), 'external script ran');
  assert.equal(await page.evaluate("getComputedStyle(document.getElementById('inline-style')).color"), 'rgb(1, 2, 3)');
  assert.equal(await page.evaluate('window.fromComment'), undefined);
  await eventually(
    'a script-src-attr report',
    async () => (await reports(stack.gateway.url, 'script-src-attr')) > before,
  );
  assert.equal(await page.evaluate('document.body.dataset.handler'), undefined, 'onerror handler was blocked');
  assert.equal(await page.evaluate('document.body.dataset.clicked'), undefined, 'onclick handler was blocked');
});

test('enforce: a gzip-compressed page is stamped too', async () => {
  const page = await load(stack.gateway.url, '/api/v1/csp-demo?gzip=1');
  assert.equal(await page.evaluate('document.documentElement.dataset.inline'), 'ran');
  assert.equal(await page.evaluate('document.body.dataset.clicked'), undefined);
});

test('report-only: the handlers run, and the violation is still reported', async () => {
  const before = await reports(reportOnly.url, 'script-src-attr');
  const page = await load(reportOnly.url, '/api/v1/csp-demo');
  assert.equal(await page.evaluate('document.documentElement.dataset.inline'), 'ran');
  await page.waitForFunction("document.body.dataset.handler === 'ran'", undefined, { timeout: 15_000 });
  assert.equal(await page.evaluate('document.body.dataset.clicked'), 'ran');
  await eventually('a script-src-attr report', async () => (await reports(reportOnly.url, 'script-src-attr')) > before);
});
