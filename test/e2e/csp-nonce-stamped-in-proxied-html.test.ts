import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { send } from '../support/http';
import { startStack, type Stack } from '../support/stack';

let stack: Stack;
before(async () => {
  stack = await startStack({ RATE_LIMIT: 'off' });
});
after(async () => stack?.stop());

function nonceOf(csp: unknown): string {
  const m = /script-src 'self' 'nonce-([A-Za-z0-9+/]{22}==)'/.exec(String(csp));
  assert.ok(m, `no nonce in ${String(csp)}`);
  assert.match(String(csp), new RegExp(`style-src 'self' 'nonce-${m[1].replace(/[+/]/g, '\\$&')}'`));
  return m[1];
}

test('proxied legacy HTML: the policy names a fresh nonce and untagged <script>/<style> carry it', async () => {
  const res = await send(`${stack.gateway.url}/api/v1/csp-demo`);
  assert.equal(res.status, 200);
  const nonce = nonceOf(res.headers['content-security-policy']);
  const html = res.body.toString('utf8');
  assert.ok(html.includes(`<STYLE nonce="${nonce}">`), 'uppercase inline style stamped, spelling kept');
  assert.ok(html.includes(`<script nonce="${nonce}">\n    window.inlineRan`), 'inline script stamped');
  assert.ok(html.includes(`<script nonce="${nonce}" src="/static/csp-demo.js" defer>`), 'external script stamped too');
  assert.ok(html.includes('<!-- <script>window.fromComment = true;</script> -->'), 'comment untouched');
  assert.ok(html.includes('data-note="<script>not a tag</script>"'), 'attribute value untouched');
  assert.ok(
    html.includes(`onerror="document.body.dataset.handler = 'ran'"`),
    'inline handler left as is (CSP blocks it)',
  );
  // The body changed length: the upstream's framing cannot be relayed.
  assert.equal(res.headers['content-length'], undefined);
  // The gateway's policy wins over the legacy page's own loose one, and banners are gone.
  assert.equal(res.rawHeaders.filter((n) => /^content-security-policy$/i.test(n)).length, 1);
  assert.equal(res.headers['x-powered-by'], undefined);
  assert.equal(res.headers.server, undefined);
  assert.match(String(res.headers['content-security-policy']), /report-uri \/csp-report$/);
});

test('nonces differ per response', async () => {
  const seen = new Set<string>();
  for (let i = 0; i < 5; i++)
    seen.add(nonceOf((await send(`${stack.gateway.url}/api/v1/csp-demo`)).headers['content-security-policy']));
  assert.equal(seen.size, 5);
});

test('the nonce reaches the upstream as X-CSP-Nonce (a client-sent one is dropped), so templates can use it', async () => {
  const res = await send(`${stack.gateway.url}/page`, { headers: { 'x-csp-nonce': 'chosen-by-attacker' } });
  const nonce = nonceOf(res.headers['content-security-policy']);
  const html = res.body.toString('utf8');
  assert.ok(!html.includes('chosen-by-attacker'));
  // index.html templates its inline script's nonce itself: kept, not doubled.
  assert.equal(
    html.split(`nonce="${nonce}"`).length - 1,
    3,
    'style stamped, templated script kept, external script stamped',
  );
  assert.ok(!/nonce="[^"]*" nonce=/.test(html));
});

test('gzip-encoded HTML is decoded, stamped and sent uncompressed', async () => {
  const direct = await send(`${stack.legacy.url}/api/v1/csp-demo?gzip=1`, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(direct.headers['content-encoding'], 'gzip', 'the legacy page really is compressed');
  const res = await send(`${stack.gateway.url}/api/v1/csp-demo?gzip=1`, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-encoding'], undefined);
  assert.equal(res.headers['content-length'], undefined);
  const nonce = nonceOf(res.headers['content-security-policy']);
  const html = res.body.toString('utf8');
  assert.ok(html.includes(`<script nonce="${nonce}">\n    window.inlineRan`));
  // Everything but the stamps is the legacy page byte for byte.
  assert.equal(html.split(` nonce="${nonce}"`).join(''), gunzipSync(direct.body).toString('utf8'));
});

test('non-HTML bodies are untouched and get the locked-down policy', async () => {
  const direct = await send(`${stack.legacy.url}/static/csp-demo.js`);
  const res = await send(`${stack.gateway.url}/static/csp-demo.js`);
  assert.deepEqual(res.body, direct.body);
  assert.equal(res.headers['content-length'], direct.headers['content-length']);
  assert.equal(res.headers['content-security-policy'], "default-src 'none';frame-ancestors 'none'");
});
