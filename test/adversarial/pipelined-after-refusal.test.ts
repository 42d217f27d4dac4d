import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { rawExchange } from '../support/http';
import { startRecordingUpstream } from '../support/recording-upstream';

// A refusal answered with `Connection: close` ends the exchange (RFC 9112 9.6: nothing after it is read as a
// request). Node's parser may already have read a request pipelined behind the refused one, in the same packet;
// it must not be forwarded (legacy would act on it, a POST say, and its answer would be thrown away) nor handled.

let up: Awaited<ReturnType<typeof startRecordingUpstream>>;
let gw: RunningGateway;
before(async () => {
  up = await startRecordingUpstream();
  const routes = routesFile(`
routes:
  - { id: small, path: /api/v1/small/*, target: legacy, body_limit: 16 }
`);
  gw = await startGateway({ LEGACY_URL: up.url, ROUTES_FILE: routes, RATE_LIMIT: 'off' });
});
after(async () => {
  await gw?.stop();
  await up?.close();
});

const second = 'POST /api/v1/second HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello';
const third = 'GET /api/v1/third HTTP/1.1\r\nHost: x\r\n\r\n';
const fields = Array.from({ length: 101 }, (_, i) => `X-F${i}: ${i}\r\n`).join('');
const refusedFirst: [string, string, number][] = [
  ['two Host field lines', 'GET /api/v1/first HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n', 400],
  [
    '101 header fields (MAX_REQUEST_HEADER_FIELDS is 100)',
    `GET /api/v1/first HTTP/1.1\r\nHost: x\r\n${fields}\r\n`,
    431,
  ],
  [
    "a declared body over the route's body_limit",
    `POST /api/v1/small/x HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n${'a'.repeat(20)}`,
    413,
  ],
];

for (const [name, first, status] of refusedFirst) {
  test(`${name}: the refusal closes the connection and the pipelined request never reaches legacy`, async () => {
    up.received.length = 0;
    up.reset();
    // One write: both requests arrive in one packet and are parsed before the first is answered.
    const answer = await rawExchange(gw.port, first + second + third, 500);
    assert.match(answer, new RegExp(`^HTTP/1\\.1 ${status} `));
    assert.match(answer, /\r\nconnection: close\r\n/i);
    assert.equal((answer.match(/HTTP\/1\.1 \d{3} /g) ?? []).length, 1, `one response only:\n${answer}`);
    // Proves an absence (no forward of the pipelined requests): both were parsed before the refusal was written, so
    // a forward would be under way before the answer came; 300 ms after it is ample on loopback.
    await new Promise((r) => setTimeout(r, 300));
    // hits() counts request heads as they arrive: a forward aborted before its body ended still counts.
    assert.equal(up.hits(), 0, `legacy saw ${up.received.map((r) => r.url)}`);
  });
}

test('baseline: without a refusal, the same pipelined requests are all served in order', async () => {
  up.received.length = 0;
  const answer = await rawExchange(gw.port, 'GET /api/v1/first HTTP/1.1\r\nHost: x\r\n\r\n' + second + third, 500);
  assert.equal((answer.match(/HTTP\/1\.1 200 /g) ?? []).length, 3);
  assert.deepEqual(up.received.map((r) => r.url).sort(), ['/api/v1/first', '/api/v1/second', '/api/v1/third']);
});

test('other connections are not affected by a refused one', async () => {
  await rawExchange(gw.port, refusedFirst[0][1] + second, 300);
  up.received.length = 0;
  const answer = await rawExchange(gw.port, `GET /api/v1/after HTTP/1.1\r\nHost: x\r\n\r\n`, 300);
  assert.match(answer, /^HTTP\/1\.1 200 /);
  assert.deepEqual(
    up.received.map((r) => r.url),
    ['/api/v1/after'],
  );
});
