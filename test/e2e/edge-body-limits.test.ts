import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';

let up: CountingUpstream;
let gw: RunningGateway;
let received = 0;
before(async () => {
  up = await startCountingUpstream((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      received = bytes;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ bytes }));
    });
    req.on('error', () => (received = bytes));
    req.on('close', () => (received = bytes));
  });
  const routes = routesFile(`
routes:
  - id: uploads
    path: /api/v1/upload
    target: legacy
    body_limit: 64KiB
  - id: v1
    path: /api/v1/*
    target: legacy
`);
  gw = await startGateway({ LEGACY_URL: up.url, ROUTES_FILE: routes, JWT_SECRET: 'x'.repeat(32) });
  await waitReady(gw);
});
after(async () => {
  await gw?.stop();
  await up?.close();
});

/** Sends only a request head announcing `length` bytes and returns what the gateway answers without the body. */
function headOnly(path: string, length: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port: gw.port });
    let out = '';
    sock.on('connect', () =>
      sock.write(
        `POST ${path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n{"a":`,
      ),
    );
    sock.on('data', (d) => {
      out += d.toString('latin1');
      if (out.includes('\r\n\r\n') && /content-length: (\d+)/i.test(out)) {
        const need = Number(/content-length: (\d+)/i.exec(out)![1]);
        if (out.length - out.indexOf('\r\n\r\n') - 4 >= need) {
          sock.destroy();
          resolve(out);
        }
      }
    });
    sock.on('error', reject);
    setTimeout(() => (sock.destroy(), reject(new Error(`no answer; got: ${out}`))), 5_000);
  });
}

test('a v2 JSON body announced over 1 MiB gets 413 before the gateway reads it', async () => {
  const answer = await headOnly('/api/v2/auth/refresh', 2 * 1024 * 1024);
  assert.match(answer, /^HTTP\/1\.1 413/);
  assert.match(answer, /application\/problem\+json/i);
});

test('a body under 1 MiB still reaches the v2 handler (which judges it)', async () => {
  const res = await send(`${gw.url}/api/v2/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refresh_token: 'x'.repeat(10) }),
  });
  assert.equal(res.status, 401, res.body.toString());
});

test('a route body_limit refuses a declared length over it before forwarding a byte', async () => {
  up.reset();
  const answer = await headOnly('/api/v1/upload', 65 * 1024);
  assert.match(answer, /^HTTP\/1\.1 413/);
  assert.match(answer, /connection: close/i);
  assert.equal(up.hits(), 0);
});

test('a chunked body is cut at the route limit: 413 for the client, never more than the limit upstream', async () => {
  up.reset();
  const chunks = Array.from({ length: 40 }, () => Buffer.alloc(4096, 97)); // 160 KiB in 4 KiB chunks
  const res = await send(`${gw.url}/api/v1/upload`, { method: 'POST', body: Readable.from(chunks) });
  assert.equal(res.status, 413, res.body.toString());
  assert.equal(res.json().code, 'PAYLOAD_TOO_LARGE');
  assert.ok(received <= 64 * 1024, `upstream received ${received} bytes`);
});

test('bodies within the limit, chunked or not, arrive whole; other routes have no limit', async () => {
  const small = await send(`${gw.url}/api/v1/upload`, {
    method: 'POST',
    body: Readable.from([Buffer.alloc(60 * 1024, 98)]),
  });
  assert.equal(small.status, 200);
  assert.equal(small.json().bytes, 60 * 1024);
  const big = await send(`${gw.url}/api/v1/other`, { method: 'POST', body: Buffer.alloc(3 * 1024 * 1024, 99) });
  assert.equal(big.status, 200);
  assert.equal(big.json().bytes, 3 * 1024 * 1024);
});
