import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { startGateway, type RunningGateway } from '../support/gateway';
import { rawExchange } from '../support/http';

let upstream: Server;
let seen: string[] = [];
let gw: RunningGateway;

before(async () => {
  upstream = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  gw = await startGateway({ LEGACY_URL: `http://127.0.0.1:${(upstream.address() as { port: number }).port}` });
});
after(async () => {
  await gw?.stop();
  upstream?.close();
});

const smuggled = 'GET /api/v1/admin/delete-everything HTTP/1.1\r\nHost: x\r\n\r\n';

const cases: [string, string][] = [
  [
    'Content-Length with Transfer-Encoding (CL.TE)',
    `POST /api/v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`,
  ],
  [
    'two different Content-Lengths',
    `POST /api/v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 60\r\n\r\nabcd${smuggled}`,
  ],
  [
    'an obfuscated Transfer-Encoding',
    `POST /api/v1/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n${smuggled}`,
  ],
  ['a bare LF inside a header line', `GET /api/v1/echo HTTP/1.1\r\nHost: x\r\nX-A: 1\nX-B: 2\r\n\r\n`],
];

for (const [name, payload] of cases) {
  test(`${name} is refused with 400 and nothing reaches the upstream`, async () => {
    seen = [];
    const answer = await rawExchange(gw.port, payload);
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /application\/problem\+json/);
    assert.equal(
      (answer.match(/HTTP\/1\.1 /g) ?? []).length,
      1,
      'exactly one response: the smuggled request was not answered',
    );
    assert.deepEqual(seen, []);
  });
}

test('a well-framed request on the same port still works', async () => {
  seen = [];
  const answer = await rawExchange(gw.port, 'GET /api/v1/fine HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(answer, /^HTTP\/1\.1 200 /);
  assert.deepEqual(seen, ['GET /api/v1/fine']);
});
