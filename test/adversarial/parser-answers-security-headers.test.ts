import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { after, before, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, type RunningGateway } from '../support/gateway';
import { rawExchange } from '../support/http';
import { makeSelfSigned, type SelfSigned } from '../support/self-signed';

// Answers the gateway writes straight to the socket (Node's parser refusing a request: 400 malformed, 431 head
// too large, 408 head too slow; a refused WebSocket handshake) carry the same static security headers as every
// other answer, HSTS included over TLS: a browser shown such a page must not frame or sniff it (issue 9).

/** The gateway's static set; the CSP checked is the non-HTML one, since the body is a problem document. */
const SECURITY = [
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
  'permissions-policy',
];

let tls: SelfSigned;
let upstream: CountingUpstream;
let plain: RunningGateway;
let secure: RunningGateway;

before(async () => {
  tls = makeSelfSigned();
  // /stream answers its head and a first chunk, then holds the body open.
  upstream = await startCountingUpstream((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    if (req.url === '/api/v1/stream') res.write('first chunk\n');
    else res.end('ok');
  });
  const env = { LEGACY_URL: upstream.url, RATE_LIMIT: 'off', REQUEST_HEADERS_TIMEOUT_MS: '1000' };
  [plain, secure] = await Promise.all([
    startGateway(env),
    startGateway({ ...env, TLS_CERT_FILE: tls.certFile, TLS_KEY_FILE: tls.keyFile }),
  ]);
});
after(async () => {
  await Promise.all([plain?.stop(), secure?.stop()]);
  await upstream?.close();
});

function head(answer: string): { status: number; fields: Map<string, string> } {
  const [top, ...lines] = answer.slice(0, answer.indexOf('\r\n\r\n')).split('\r\n');
  const fields = new Map<string, string>();
  for (const l of lines) fields.set(l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim());
  return { status: Number(top.split(' ')[1]), fields };
}

/** Writes over TLS (HTTP/1.1 by ALPN) and reads until the server closes. */
function tlsExchange(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect(
      { host: '127.0.0.1', port, ca: tls.cert, servername: 'localhost', ALPNProtocols: ['http/1.1'] },
      () => s.write(payload),
    );
    let out = '';
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('end', () => resolve(out));
    s.on('close', () => resolve(out));
    s.on('error', (err) => (out ? resolve(out) : reject(err)));
    s.setTimeout(5_000, () => s.destroy());
  });
}

const bad = 'GET /api/v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n';
const huge = `GET /api/v1/x HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;

test('400, 431 and 408 from the parser carry the same security headers as a routed answer', async () => {
  const routed = head(
    await rawExchange(plain.port, 'GET /api/v2/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 300),
  );
  for (const name of SECURITY) assert.ok(routed.fields.has(name), `a routed answer has ${name}`);
  const slow = new Promise<string>((resolve) => {
    const s = netConnect({ host: '127.0.0.1', port: plain.port }, () =>
      s.write('GET /api/v1/x HTTP/1.1\r\nHost: x\r\n'),
    );
    let out = '';
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('close', () => resolve(out));
  });
  const answers = [
    [400, await rawExchange(plain.port, bad, 300)],
    [431, await rawExchange(plain.port, huge, 300)],
    [408, await slow],
  ] as const;
  for (const [status, answer] of answers) {
    const h = head(answer);
    assert.equal(h.status, status, answer);
    for (const name of SECURITY) assert.equal(h.fields.get(name), routed.fields.get(name), `${status}: ${name}`);
    assert.equal(h.fields.get('strict-transport-security'), undefined, 'no HSTS over plain HTTP (RFC 6797 7.2)');
    assert.match(h.fields.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).request_id, h.fields.get('x-request-id'));
    assert.equal(h.fields.get('connection'), 'close');
  }
});

test("over TLS, the parser's 400 carries HSTS like every other answer", async () => {
  const routed = head(
    await tlsExchange(secure.port, 'GET /api/v2/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
  );
  assert.match(routed.fields.get('strict-transport-security') ?? '', /^max-age=\d+/);
  const refused = head(await tlsExchange(secure.port, bad));
  assert.equal(refused.status, 400);
  for (const name of [...SECURITY, 'strict-transport-security'])
    assert.equal(refused.fields.get(name), routed.fields.get(name), name);
});

test('a refused WebSocket handshake, also written raw, carries them too', async () => {
  const routed = head(
    await rawExchange(plain.port, 'GET /api/v2/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 300),
  );
  const ws = 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
  for (const [status, payload] of [
    [400, `GET /api/v1/ws HTTP/1.1\r\nHost: x\r\n${ws}Sec-WebSocket-Version: 8\r\n\r\n`],
    [404, `GET /health HTTP/1.1\r\nHost: x\r\n${ws}Sec-WebSocket-Version: 13\r\n\r\n`],
  ] as const) {
    const h = head(await rawExchange(plain.port, payload, 300));
    assert.equal(h.status, status);
    for (const name of SECURITY) assert.equal(h.fields.get(name), routed.fields.get(name), `${status}: ${name}`);
  }
});

test('garbage pipelined behind an answer already streaming is never spliced into that answer', async () => {
  const received = await new Promise<string>((resolve) => {
    const s = netConnect({ host: '127.0.0.1', port: plain.port }, () =>
      s.write('GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n\r\n'),
    );
    let out = '';
    s.on('data', (d) => {
      out += d.toString('latin1');
      // The streamed answer's head and first chunk are out: now a request the parser refuses.
      if (out.includes('first chunk') && !out.includes('sent')) {
        out += '[sent]';
        s.write('NOT HTTP AT ALL\r\n\r\n');
      }
    });
    s.on('close', () => resolve(out));
    s.setTimeout(5_000, () => s.destroy());
  });
  assert.match(received, /^HTTP\/1\.1 200 /);
  assert.ok(received.includes('first chunk'));
  assert.doesNotMatch(received, /400 Bad Request|problem\+json/, 'no second status line inside the streamed body');
});
