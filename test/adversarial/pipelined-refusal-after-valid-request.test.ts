import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { routesFile, startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { rawUntilClosed } from '../support/http';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startRedis, type RedisServer } from '../support/redis';

// Only requests parsed AFTER one refused with `Connection: close` are dropped (RFC 9112 9.6); a valid request
// parsed BEFORE it, in the same packet, is still answered, then the refusal, then the connection closes (answers
// in request order, RFC 9112 9.3.2). Dropping the earlier one too left Node's per-socket answer queue stuck on it:
// no byte at all, and a connection open for ever.

let up: CountingUpstream;
let redis: RedisServer;
let gw: RunningGateway;
const seen: string[] = [];
before(async () => {
  up = await startCountingUpstream((req, res) => {
    seen.push(req.url ?? '');
    // A slow legacy: the refusal behind it is decided long before this answer exists.
    const delay = req.url === '/api/v1/slow' ? 300 : 0;
    req
      .resume()
      .on('end', () => setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'), delay));
  });
  redis = await startRedis();
  // The rate limiter on Redis, as deployed: the first request waits on a store round trip, so the refused one
  // behind it is parsed (and marks the connection) before the first reaches the forwarder.
  gw = await startGateway({ LEGACY_URL: up.url, REDIS_URL: redis.url, ROUTES_FILE: routesFile('routes: []\n') });
  await waitReady(gw);
});
after(async () => {
  await gw?.stop();
  await up?.close();
  await redis?.stop();
});

const fields = Array.from({ length: 101 }, (_, i) => `X-F${i}: ${i}\r\n`).join('');
const refusals: [string, string, number][] = [
  ['two Host field lines', 'GET /api/v1/refused HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n', 400],
  [
    '101 header fields (MAX_REQUEST_HEADER_FIELDS is 100)',
    `GET /api/v1/refused HTTP/1.1\r\nHost: x\r\n${fields}\r\n`,
    431,
  ],
];
const third = 'GET /api/v1/third HTTP/1.1\r\nHost: x\r\n\r\n';

for (const path of ['/api/v1/x', '/api/v1/slow']) {
  for (const [name, refused, status] of refusals) {
    test(`GET ${path}, then ${name}, then a GET, in one packet: 200, ${status}, close`, async () => {
      seen.length = 0;
      // One write: all three are parsed before the first is answered. Resolves only when the server closes.
      const answer = await rawUntilClosed(gw.port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n${refused}${third}`, 10_000);
      const statuses = [...answer.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
      assert.deepEqual(statuses, [200, status], answer);
      const refusal = answer.slice(answer.indexOf(`HTTP/1.1 ${status} `));
      assert.match(refusal, /\r\nconnection: close\r\n/i);
      assert.match(refusal, /\r\ncontent-type: application\/problem\+json/i);
      assert.deepEqual(seen, [path]);
    });
  }
}
