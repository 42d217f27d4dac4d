import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startStack, type Stack } from '../support/stack';

const API_CSP = "default-src 'none';frame-ancestors 'none'";
/** The fixed set every response carries (HSTS only over TLS, so not here). */
const FIXED: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-permitted-cross-domain-policies': 'none',
};

function assertSecured(h: IncomingHttpHeaders, what: string, csp: string | RegExp = API_CSP): void {
  for (const [name, value] of Object.entries(FIXED)) assert.equal(h[name], value, `${what}: ${name}`);
  assert.match(String(h['permissions-policy']), /camera=\(\)/, `${what}: permissions-policy`);
  if (typeof csp === 'string') assert.equal(h['content-security-policy'], csp, `${what}: csp`);
  else assert.match(String(h['content-security-policy']), csp, `${what}: csp`);
  assert.equal(h['strict-transport-security'], undefined, `${what}: no HSTS over plain HTTP`);
  assert.equal(h.server, undefined, `${what}: server`);
  assert.equal(h['x-powered-by'], undefined, `${what}: x-powered-by`);
}

let stack: Stack;
let upstream: CountingUpstream;
let cached: RunningGateway;

before(async () => {
  stack = await startStack({ RATE_LIMIT: 'off' });
  upstream = await startCountingUpstream((req, res, n) => {
    const html = req.url?.startsWith('/html');
    const body = html ? `<p>answer ${n}</p><script>x()</script>` : JSON.stringify({ n });
    res.writeHead(200, {
      'content-type': html ? 'text/html' : 'application/json',
      'cache-control': 'public, max-age=60',
      server: 'legacy-httpd/1.0',
      'x-powered-by': 'PHP/5.2',
      'x-frame-options': 'ALLOWALL',
      'content-security-policy': 'default-src *',
      'set-cookie': req.url === '/cookies' ? ['a=1', 'b=2'] : [],
    });
    res.end(body);
  });
  cached = await startGateway({
    LEGACY_URL: upstream.url,
    ROUTES_FILE: routesFile(
      'routes:\n  - { id: pages, path: /pages/*, target: legacy }\n  - { id: html, path: /html/*, target: legacy }\n' +
        '  - { id: limited, path: /limited/*, target: legacy, rate_limit: 1/1m }\n',
    ),
    RATE_LIMIT: 'off',
  });
});
after(async () => {
  await cached?.stop();
  await upstream?.close();
  await stack?.stop();
});

test('a proxied legacy JSON response', async () => {
  const res = await send(`${stack.gateway.url}/api/v1/items`);
  assert.equal(res.status, 200);
  assertSecured(res.headers, 'proxied JSON');
  assert.ok(res.headers['x-request-id']);
});

test('a v2 response answered by Nest, a Nest 404 problem, a legacy 404, and /metrics', async () => {
  assertSecured((await send(`${stack.gateway.url}/api/v2/meta`)).headers, 'v2 module');
  const nest404 = await send(`${stack.gateway.url}/admin/cache?url=/x`, { method: 'DELETE' });
  assert.equal(nest404.status, 404);
  assert.match(String(nest404.headers['content-type']), /problem\+json/);
  assertSecured(nest404.headers, 'Nest 404');
  const legacy404 = await send(`${stack.gateway.url}/api/v1/nothing-here`);
  assert.equal(legacy404.status, 404);
  assertSecured(legacy404.headers, 'legacy 404');
  assertSecured((await send(`${stack.gateway.url}/metrics`)).headers, '/metrics');
});

test('a gateway problem on a proxied route (upstream down) and a 429 sent by a hook on a proxied route', async () => {
  const dead = await startGateway({ LEGACY_URL: 'http://127.0.0.1:9', RATE_LIMIT: 'off' });
  try {
    const res = await send(`${dead.url}/api/v1/items`);
    assert.equal(res.status, 502);
    assertSecured(res.headers, '502 problem');
  } finally {
    await dead.stop();
  }
  let limited;
  for (let i = 0; i < 4 && limited?.status !== 429; i++) limited = await send(`${cached.url}/limited/x`);
  assert.equal(limited!.status, 429);
  assertSecured(limited!.headers, '429 on a proxied route');
});

test('a cached HIT carries the set; the upstream fields it replaces are gone on MISS and HIT alike', async () => {
  const miss = await send(`${cached.url}/pages/a`);
  const hit = await send(`${cached.url}/pages/a`);
  assert.equal(miss.headers['x-cache'], 'MISS');
  assert.equal(hit.headers['x-cache'], 'HIT');
  for (const [r, what] of [
    [miss, 'MISS'],
    [hit, 'HIT'],
  ] as const) {
    assertSecured(r.headers, what);
    assert.equal(
      r.rawHeaders.filter((n) => n.toLowerCase() === 'x-frame-options').length,
      1,
      `${what}: one X-Frame-Options`,
    );
    assert.equal(
      r.rawHeaders.filter((n) => n.toLowerCase() === 'content-security-policy').length,
      1,
      `${what}: one CSP`,
    );
  }
});

test('HTML and JSON get different policies; HTML with a nonce is never cached', async () => {
  const before = upstream.hits();
  const a = await send(`${cached.url}/html/page`);
  const b = await send(`${cached.url}/html/page`);
  assert.equal(upstream.hits() - before, 2, 'both went upstream');
  for (const r of [a, b]) {
    assert.notEqual(r.headers['x-cache'], 'HIT');
    assertSecured(r.headers, 'proxied HTML', /^default-src 'self';script-src 'self' 'nonce-[A-Za-z0-9+/]{22}=='/);
  }
  assert.notEqual(a.headers['content-security-policy'], b.headers['content-security-policy']);
  assert.notEqual(a.headers['content-security-policy'], API_CSP);
  assert.match(a.body.toString(), /<script nonce="[^"]+">x\(\)<\/script>/);
});

test('repeated Set-Cookie fields survive next to the security headers', async () => {
  const res = await send(`${cached.url}/cookies`);
  assert.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2']);
  assertSecured(res.headers, 'cookies');
});

test('a v2 module route steered to legacy (ROUTE_ALL_TO_LEGACY) is secured like any proxied answer', async () => {
  const rolledBack = await startGateway({ LEGACY_URL: upstream.url, RATE_LIMIT: 'off', ROUTE_ALL_TO_LEGACY: 'true' });
  try {
    const before = upstream.hits();
    const res = await send(`${rolledBack.url}/api/v2/meta`);
    assert.equal(upstream.hits(), before + 1, 'answered by legacy');
    assertSecured(res.headers, 'rolled-back module route');
    assert.equal(res.rawHeaders.filter((n) => n.toLowerCase() === 'x-frame-options').length, 1);
  } finally {
    await rolledBack.stop();
  }
});
