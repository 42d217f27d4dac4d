import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { signIn, withCookie } from '../support/console';
import type { CountingUpstream } from '../support/counting-upstream';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { ADMIN_TOKEN, sideUpstream } from '../support/migration';

let legacy: CountingUpstream;
let gw: RunningGateway;

before(async () => {
  legacy = await sideUpstream('legacy');
  gw = await startGateway({ LEGACY_URL: legacy.url, RATE_LIMIT: 'off', ADMIN_TOKEN });
});
after(async () => {
  await gw?.stop();
  await legacy?.close();
});

/** No inline script or style anywhere: every <script> has a src, no style element or attribute, no on* handler. */
function assertNoInlineCode(html: string): void {
  for (const tag of html.match(/<script\b[^>]*>/gi) ?? []) assert.match(tag, /\bsrc="\/admin\/assets\//, tag);
  assert.doesNotMatch(html, /<script\b[^>]*>[^<\s]/i, 'a script element with a body');
  assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=/i);
}

test('GET /admin/ and /admin without a session: the sign-in page, a labelled token field posting to /admin/session', async () => {
  for (const path of ['/admin/', '/admin']) {
    const res = await send(`${gw.url}${path}`);
    assert.equal(res.status, 200, path);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.match(String(res.headers['content-security-policy']), /script-src 'self'/);
    const html = res.body.toString();
    assert.match(html, /<label for="token">/);
    assert.match(html, /<input id="token" name="token" type="password"/);
    assert.match(html, /<form id="signin"[^>]* method="post" action="\/admin\/session"/);
    assert.match(html, /<script type="module" src="\/admin\/assets\/signin.js">/);
    assert.match(html, /<link rel="stylesheet" href="\/admin\/assets\/console.css">/);
    assert.doesNotMatch(html, /console\.js|id="app"/);
    assertNoInlineCode(html);
  }
});

test('GET /admin/ and /admin with a session: the console shell loading console.js', async () => {
  const cookie = await signIn(gw.url);
  for (const path of ['/admin/', '/admin']) {
    const res = await withCookie(gw.url, cookie, 'GET', path);
    assert.equal(res.status, 200, path);
    const html = res.body.toString();
    assert.match(html, /<div id="app"><\/div>/);
    assert.match(html, /<script type="module" src="\/admin\/assets\/console.js">/);
    assert.match(html, /<link rel="stylesheet" href="\/admin\/assets\/console.css">/);
    assert.doesNotMatch(html, /signin\.js|id="token"/);
    assertNoInlineCode(html);
  }
});

test('signin.js and console.css are public JavaScript and CSS, not cached without revalidation, nosniff', async () => {
  for (const [file, type] of [
    ['signin.js', /^text\/javascript/],
    ['console.css', /^text\/css/],
  ] as const) {
    const res = await send(`${gw.url}/admin/assets/${file}`);
    assert.equal(res.status, 200, file);
    assert.match(String(res.headers['content-type']), type);
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.ok(res.body.length > 0);
  }
});
