import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';

let upstream: CountingUpstream;
let gw: RunningGateway;
/** Upstream requests per `host url`: the total alone cannot tell which entry was missed. */
const seen = new Map<string, number>();
const hitsFor = (url: string, host?: string) =>
  [...seen]
    .filter(([k]) => k.endsWith(` ${url}`) && (host === undefined || k.startsWith(`${host} `)))
    .reduce((n, [, v]) => n + v, 0);

before(async () => {
  upstream = await startCountingUpstream((req, res) => {
    const k = `${req.headers.host} ${req.url}`;
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    // The body names the host and the upstream's own count, so a HIT is told from a second upstream answer.
    const body = `page ${req.url} for ${req.headers.host}, answer #${n}`;
    res.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'public, max-age=60',
      etag: `"rev-${n}"`,
      'x-origin-note': 'kept as sent',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  // Its own routes file: the shared config/routes.yaml is not this test's to depend on.
  const routes = routesFile('routes:\n  - { id: pages, path: /pages/*, target: legacy }\n');
  gw = await startGateway({ LEGACY_URL: upstream.url, ROUTES_FILE: routes, RATE_LIMIT: 'off' });
});
after(async () => {
  await gw?.stop();
  await upstream?.close();
});

test('a second GET is a HIT: the upstream is asked once and the client sees the same body and headers, with an Age', async () => {
  const miss = await send(`${gw.url}/pages/home`);
  assert.equal(miss.status, 200);
  assert.equal(miss.headers['x-cache'], 'MISS');
  const hit = await send(`${gw.url}/pages/home`);
  assert.equal(hit.status, 200);
  assert.equal(hit.headers['x-cache'], 'HIT');
  assert.equal(hitsFor('/pages/home'), 1);
  assert.equal(hit.body.toString(), miss.body.toString());
  for (const name of ['content-type', 'content-length', 'cache-control', 'etag', 'x-origin-note']) {
    assert.equal(hit.headers[name], miss.headers[name], name);
  }
  const age = Number(hit.headers.age);
  assert.ok(Number.isInteger(age) && age >= 0 && age < 60, `Age ${hit.headers.age}`);
});

test('a HEAD after a GET is a HIT with the stored Content-Length and no body', async () => {
  const get = await send(`${gw.url}/pages/about`);
  assert.equal(get.headers['x-cache'], 'MISS');
  const head = await send(`${gw.url}/pages/about`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers['x-cache'], 'HIT');
  assert.equal(head.headers['content-length'], String(get.body.length));
  assert.equal(head.body.length, 0);
  assert.equal(hitsFor('/pages/about'), 1);
});

test('a client If-None-Match naming the cached ETag gets a 304 from the cache', async () => {
  const first = await send(`${gw.url}/pages/news`);
  const etag = String(first.headers.etag);
  const res = await send(`${gw.url}/pages/news`, { headers: { 'if-none-match': etag } });
  assert.equal(res.status, 304);
  assert.equal(res.headers['x-cache'], 'HIT');
  assert.equal(res.headers.etag, etag);
  assert.equal(res.body.length, 0);
  assert.equal(hitsFor('/pages/news'), 1, 'the 304 came from the upstream, not the cache');
  // A validator the cache does not hold must still get the full stored response.
  const other = await send(`${gw.url}/pages/news`, { headers: { 'if-none-match': '"something-else"' } });
  assert.equal(other.status, 200);
  assert.equal(other.body.toString(), first.body.toString());
  assert.equal(hitsFor('/pages/news'), 1);
});

// The key lowercases Host; the cache policy must see the same normalised request, or http-cache-semantics refuses
// the match and every other spelling refetches.

test('the same query parameters in another order are another entry: the query is keyed as sent', async () => {
  const first = await send(`${gw.url}/pages/search?a=1&b=2`);
  assert.equal(first.headers['x-cache'], 'MISS');
  const swapped = await send(`${gw.url}/pages/search?b=2&a=1`);
  assert.equal(swapped.status, 200);
  assert.equal(swapped.headers['x-cache'], 'MISS');
  assert.match(swapped.body.toString(), /^page \/pages\/search\?b=2&a=1 /);
  assert.equal((await send(`${gw.url}/pages/search?b=2&a=1`)).headers['x-cache'], 'HIT');
  assert.equal(hitsFor('/pages/search?a=1&b=2'), 1);
  assert.equal(hitsFor('/pages/search?b=2&a=1'), 1);
});

test('different Host headers get separate entries', async () => {
  const url = `${gw.url}/pages/contact`;
  const a1 = await send(url, { headers: { host: 'a.example.test' } });
  const b1 = await send(url, { headers: { host: 'b.example.test' } });
  assert.equal(a1.headers['x-cache'], 'MISS');
  assert.equal(b1.headers['x-cache'], 'MISS', 'a page of host a was served for host b');
  assert.match(b1.body.toString(), /for b\.example\.test/);
  const a2 = await send(url, { headers: { host: 'a.example.test' } });
  const b2 = await send(url, { headers: { host: 'b.example.test' } });
  assert.equal(a2.headers['x-cache'], 'HIT');
  assert.equal(b2.headers['x-cache'], 'HIT');
  assert.equal(a2.body.toString(), a1.body.toString());
  assert.equal(b2.body.toString(), b1.body.toString());
  assert.equal(hitsFor('/pages/contact', 'a.example.test'), 1);
  assert.equal(hitsFor('/pages/contact', 'b.example.test'), 1);
});

test('a Host header differing only in letter case shares the entry', async () => {
  const url = `${gw.url}/pages/team`;
  const first = await send(url, { headers: { host: 'Shop.Example.Test' } });
  assert.equal(first.headers['x-cache'], 'MISS');
  const lower = await send(url, { headers: { host: 'shop.example.test' } });
  assert.equal(lower.headers['x-cache'], 'HIT');
  assert.equal(lower.body.toString(), first.body.toString());
});
