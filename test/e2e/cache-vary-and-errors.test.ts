import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';

const MAX_ENTRY_BYTES = 1_000;
let upstream: CountingUpstream;
let gw: RunningGateway;
const seen = new Map<string, number>();
const hitsFor = (path: string) => seen.get(path) ?? 0;

/** A body of `size` bytes whose content depends on `n`, so a stored copy cannot pass for a fresh one. */
const patterned = (size: number, n: number) => Buffer.from(Array.from({ length: size }, (_, i) => 65 + ((i + n) % 26)));

function writeChunked(res: ServerResponse, body: Buffer): void {
  // No Content-Length: the gateway only learns the size while the body streams through it.
  for (let i = 0; i < body.length; i += 256) res.write(body.subarray(i, i + 256));
  res.end();
}

before(async () => {
  upstream = await startCountingUpstream((req, res) => {
    const path = req.url ?? '/';
    const n = (seen.get(path) ?? 0) + 1;
    seen.set(path, n);
    const cc = 'public, max-age=60';
    if (path === '/v/greeting') {
      const lang = String(req.headers['accept-language'] ?? 'en');
      res.writeHead(200, { 'cache-control': cc, vary: 'Accept-Language', 'content-type': 'text/plain' });
      return res.end(`greeting in ${lang} #${n}`);
    }
    const status = /^\/v\/status\/(\d{3})$/.exec(path);
    if (status) {
      res.writeHead(Number(status[1]), { 'cache-control': cc, 'content-type': 'text/plain' });
      return res.end(`status ${status[1]} #${n}`);
    }
    if (path === '/v/vary-star') {
      res.writeHead(200, { 'cache-control': cc, vary: '*' });
      return res.end(`varies on everything #${n}`);
    }
    const sized = /^\/v\/(sized|chunked)\/(\d+)$/.exec(path);
    if (sized) {
      const body = patterned(Number(sized[2]), n);
      if (sized[1] === 'chunked') {
        res.writeHead(200, { 'cache-control': cc, 'content-type': 'application/octet-stream' });
        return writeChunked(res, body);
      }
      res.writeHead(200, {
        'cache-control': cc,
        'content-type': 'application/octet-stream',
        'content-length': body.length,
      });
      return res.end(body);
    }
    res.writeHead(404);
    res.end();
  });
  const routes = routesFile('routes:\n  - { id: v, path: /v/*, target: legacy }\n');
  gw = await startGateway({
    LEGACY_URL: upstream.url,
    ROUTES_FILE: routes,
    RATE_LIMIT: 'off',
    CACHE_MAX_ENTRY_BYTES: String(MAX_ENTRY_BYTES),
  });
});
after(async () => {
  await gw?.stop();
  await upstream?.close();
});

test('Vary: Accept-Language keeps one entry per language, each a HIT only for its own language', async () => {
  const get = (lang: string) => send(`${gw.url}/v/greeting`, { headers: { 'accept-language': lang } });
  const en1 = await get('en');
  const fr1 = await get('fr');
  assert.equal(en1.headers['x-cache'], 'MISS');
  assert.equal(fr1.headers['x-cache'], 'MISS', 'the English entry answered a French request');
  assert.equal(fr1.body.toString(), 'greeting in fr #2');
  const en2 = await get('en');
  const fr2 = await get('fr');
  assert.equal(en2.headers['x-cache'], 'HIT');
  assert.equal(en2.body.toString(), 'greeting in en #1');
  assert.equal(fr2.headers['x-cache'], 'HIT');
  assert.equal(fr2.body.toString(), 'greeting in fr #2');
  const de = await get('de');
  assert.equal(de.headers['x-cache'], 'MISS');
  assert.equal(de.body.toString(), 'greeting in de #3');
  assert.equal(hitsFor('/v/greeting'), 3);
});

for (const status of [500, 503]) {
  test(`a ${status} is relayed as it is but never stored, even with max-age`, async () => {
    const path = `/v/status/${status}`;
    for (let i = 1; i <= 2; i++) {
      const res = await send(`${gw.url}${path}`);
      assert.equal(res.status, status);
      assert.equal(res.body.toString(), `status ${status} #${i}`);
      assert.notEqual(res.headers['x-cache'], 'HIT');
    }
    assert.equal(hitsFor(path), 2);
  });
}

test('a response with Vary: * is never stored', async () => {
  for (let i = 1; i <= 2; i++) {
    const res = await send(`${gw.url}/v/vary-star`);
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), `varies on everything #${i}`);
    assert.notEqual(res.headers['x-cache'], 'HIT');
  }
  assert.equal(hitsFor('/v/vary-star'), 2);
});

test('a body within CACHE_MAX_ENTRY_BYTES is stored', async () => {
  const path = `/v/sized/${MAX_ENTRY_BYTES - 100}`;
  const miss = await send(`${gw.url}${path}`);
  const hit = await send(`${gw.url}${path}`);
  assert.equal(hit.headers['x-cache'], 'HIT');
  assert.ok(hit.body.equals(miss.body));
  assert.equal(hitsFor(path), 1);
});

for (const framing of ['sized', 'chunked']) {
  test(`a body over CACHE_MAX_ENTRY_BYTES (${framing === 'sized' ? 'with Content-Length' : 'chunked'}) is relayed whole but not stored`, async () => {
    const size = MAX_ENTRY_BYTES * 5;
    const path = `/v/${framing}/${size}`;
    for (let i = 1; i <= 2; i++) {
      const res = await send(`${gw.url}${path}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.length, size);
      assert.ok(res.body.equals(patterned(size, i)), `the body of answer #${i} was altered on the way`);
      assert.notEqual(res.headers['x-cache'], 'HIT');
    }
    assert.equal(hitsFor(path), 2);
  });
}
