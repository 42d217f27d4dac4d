import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { rawExchange, send } from '../support/http';
import { startRecordingUpstream } from '../support/recording-upstream';

// Fat-GET cache poisoning: a GET carrying a body is forwarded with it, and an app that reads the body of a GET
// answers for that body, yet the key holds only the URL. Stored, the answer is what every bodiless GET then gets.
// The upstream echoes the body it read and marks every answer public for 60 s: the gateway is the only defence.

let up: Awaited<ReturnType<typeof startRecordingUpstream>>;
let gw: RunningGateway;

before(async () => {
  up = await startRecordingUpstream((r) => ({
    headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=60' },
    body: JSON.stringify({ body: r.body }),
  }));
  const routes = routesFile('routes:\n  - { id: fat, path: /fat/*, target: legacy }\n');
  gw = await startGateway({ LEGACY_URL: up.url, ROUTES_FILE: routes, RATE_LIMIT: 'off' });
});
after(async () => {
  await gw?.stop();
  await up?.close();
});

const HOST = 'shop.example';
const get = (path: string) => send(`${gw.url}${path}`, { headers: { host: HOST } });

/** A GET with a body on a raw socket (node:http would not send one), its answer split into head fields and body. */
async function fatGet(path: string, framing: string, body: string) {
  const raw = await rawExchange(
    gw.port,
    `GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\n${framing}\r\nConnection: close\r\n\r\n${body}`,
  );
  const [head, ...rest] = raw.split('\r\n\r\n');
  const [status, ...lines] = head.split('\r\n');
  const fields = new Map(
    lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return { status, fields, body: rest.join('\r\n\r\n') };
}

async function bypassCount(): Promise<number> {
  const text = (await send(`${gw.url}/metrics`)).body.toString();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('gateway_cache_total{') && l.includes('route="fat"') && l.includes('result="BYPASS"'));
  return line ? Number(line.split(' ').pop()) : 0;
}

test('a GET with a Content-Length body reaches legacy with it, is a BYPASS, and the next bodiless GET is a MISS', async () => {
  const before = await bypassCount();
  up.received.length = 0;
  const fat = await fatGet('/fat/page', 'Content-Length: 9', 'evil-body');
  assert.match(fat.status, / 200 /);
  assert.equal(fat.fields.get('x-cache'), 'BYPASS');
  assert.match(fat.body, /"body":"evil-body"/);
  assert.deepEqual(
    up.received.map((r) => [r.method, r.url, r.body]),
    [['GET', '/fat/page', 'evil-body']],
  );
  assert.equal(await bypassCount(), before + 1);

  const clean = await get('/fat/page');
  assert.equal(clean.headers['x-cache'], 'MISS', `the fat GET's answer was stored: ${clean.body}`);
  assert.deepEqual(clean.json(), { body: '' });
  // The bodiless answer is stored as usual, so the MISS above is the body's doing, not an uncacheable page.
  const again = await get('/fat/page');
  assert.equal(again.headers['x-cache'], 'HIT');
  assert.deepEqual(again.json(), { body: '' });
});

test('a GET with a chunked body is not served the stored entry, and leaves it as it was', async () => {
  assert.equal((await get('/fat/other')).headers['x-cache'], 'MISS');
  assert.equal((await get('/fat/other')).headers['x-cache'], 'HIT');
  const before = await bypassCount();
  up.received.length = 0;
  const fat = await fatGet('/fat/other', 'Transfer-Encoding: chunked', '9\r\nevil-body\r\n0\r\n\r\n');
  assert.equal(fat.fields.get('x-cache'), 'BYPASS');
  assert.match(fat.body, /"body":"evil-body"/);
  assert.deepEqual(
    up.received.map((r) => [r.method, r.body]),
    [['GET', 'evil-body']],
  );
  assert.equal(await bypassCount(), before + 1);
  const clean = await get('/fat/other');
  assert.equal(clean.headers['x-cache'], 'HIT');
  assert.deepEqual(clean.json(), { body: '' });
});
