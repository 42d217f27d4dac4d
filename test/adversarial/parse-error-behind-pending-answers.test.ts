import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, type RunningGateway } from '../support/gateway';
import { rawExchange } from '../support/http';

/**
 * Unparseable bytes behind requests the gateway is still answering, on one connection. The 400 must come after
 * those answers, in order (RFC 9112 9.3.2): written first, the client (or a proxy in front) would take it for the
 * answer to the earlier request and shift every later answer by one (response queue desynchronisation).
 */
let upstream: CountingUpstream;
let gw: RunningGateway;
let port: number;

before(async () => {
  upstream = await startCountingUpstream((req, res) => {
    const body = `answer for ${req.url}`;
    // The first request is slow: its answer is still owed when the bad bytes arrive.
    setTimeout(
      () => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) }).end(body),
      req.url?.includes('slow') ? 400 : 0,
    );
  });
  gw = await startGateway({ LEGACY_URL: upstream.url, RATE_LIMIT: 'off', CACHE_ENABLED: 'false' });
  port = Number(new URL(gw.url).port);
});
after(async () => {
  await gw?.stop();
  await upstream?.close();
});

/** Status codes in the order they came (an answer's body runs straight into the next status line). */
function statuses(raw: string): string[] {
  return [...raw.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);
}

test('a request still waiting on legacy, then garbage: its answer first, then the 400, then the close', async () => {
  const raw = await rawExchange(port, 'GET /api/v1/slow HTTP/1.1\r\nHost: x\r\n\r\nNOT HTTP AT ALL\r\n\r\n', 1_500);
  assert.deepEqual(statuses(raw), ['200', '400'], raw);
  assert.ok(raw.indexOf('answer for /api/v1/slow') < raw.indexOf('HTTP/1.1 400'), raw);
  assert.match(raw.slice(raw.indexOf('HTTP/1.1 400')), /application\/problem\+json[\s\S]*connection: close/i);
});

test('two pipelined requests, then garbage: both answers in order, then the 400', async () => {
  const before = upstream.hits();
  const raw = await rawExchange(
    port,
    'GET /api/v1/slow/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/fast/2 HTTP/1.1\r\nHost: x\r\n\r\n\x00\x01garbage\r\n\r\n',
    1_500,
  );
  assert.deepEqual(statuses(raw), ['200', '200', '400'], raw);
  const first = raw.indexOf('answer for /api/v1/slow/1');
  const second = raw.indexOf('answer for /api/v1/fast/2');
  assert.ok(first > 0 && second > first && raw.indexOf('HTTP/1.1 400') > second, raw);
  assert.equal(upstream.hits() - before, 2, 'legacy saw the two requests and nothing of the garbage');
});
