import type { TLSSocket } from 'node:tls';
import assert from 'node:assert/strict';
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { request as httpsRequest, type RequestOptions as HttpsRequestOptions } from 'node:https';
import { after, before, test } from 'node:test';
import { makeSelfSigned, type SelfSigned } from '../support/self-signed';
import { startStack, type Stack } from '../support/stack';

let tls: SelfSigned;
let s: Stack;
let origin: string;
before(async () => {
  tls = makeSelfSigned();
  s = await startStack({ TLS_CERT_FILE: tls.certFile, TLS_KEY_FILE: tls.keyFile });
  origin = `https://127.0.0.1:${s.gateway.port}`;
});
after(() => s?.stop());

function h2(): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(origin, { ca: tls.cert });
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

function h2Request(session: ClientHttp2Session, headers: Record<string, string>, body?: Buffer[]) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined });
    let out = '';
    let head: Record<string, unknown> = {};
    stream.on('response', (h) => (head = h));
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => (out += d));
    stream.on('end', () => resolve({ status: Number(head[constants.HTTP2_HEADER_STATUS]), headers: head, body: out }));
    stream.on('error', reject);
    if (body) {
      // Written in pieces with no content-length: HTTP/2 frames the body itself.
      for (const b of body) stream.write(b);
      stream.end();
    }
  });
}

test('HTTP/2 is chosen by ALPN and a legacy page comes back through it', async () => {
  const session = await h2();
  try {
    assert.equal(session.alpnProtocol, 'h2');
    const res = await h2Request(session, { ':path': '/api/v1/echo/over-h2?x=1' });
    assert.equal(res.status, 200, res.body);
    const echo = JSON.parse(res.body);
    assert.equal(echo.raw_uri, '/api/v1/echo/over-h2?x=1');
    assert.equal(echo.headers['x-forwarded-proto'], 'https');
    assert.equal(echo.headers.host, `127.0.0.1:${s.gateway.port}`);
    assert.ok(res.headers['x-request-id']);
    // Served over TLS, so browsers are told to stay on it (RFC 6797); never sent over plain HTTP.
    assert.match(String(res.headers['strict-transport-security']), /^max-age=\d+/);
  } finally {
    session.close();
  }
});

test('an HTTP/2 upload without content-length reaches legacy whole', async () => {
  const session = await h2();
  try {
    const parts = Array.from({ length: 8 }, (_, i) => Buffer.alloc(32 * 1024, 65 + i));
    const res = await h2Request(
      session,
      { ':method': 'POST', ':path': '/api/v1/upload', 'content-type': 'application/octet-stream' },
      parts,
    );
    assert.equal(res.status, 200, res.body);
    assert.equal(JSON.parse(res.body).bytes, 8 * 32 * 1024);
  } finally {
    session.close();
  }
});

test('a client offering only HTTP/1.1 is served over TLS as well', async () => {
  const res = await new Promise<{ status: number; alpn: string | false | null; body: string }>((resolve, reject) => {
    const req = httpsRequest(
      `${origin}/api/v1/echo/over-h1`,
      { ca: tls.cert, ALPNProtocols: ['http/1.1'], agent: false } as HttpsRequestOptions,
      (r) => {
        let body = '';
        r.setEncoding('utf8');
        r.on('data', (d: string) => (body += d));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, alpn: (r.socket as TLSSocket).alpnProtocol, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
  assert.equal(res.status, 200, res.body);
  assert.equal(res.alpn, 'http/1.1');
  assert.equal(JSON.parse(res.body).headers['x-forwarded-proto'], 'https');
});

test('gateway answers (health, problems) work over HTTP/2 too', async () => {
  const session = await h2();
  try {
    assert.equal((await h2Request(session, { ':path': '/health' })).status, 200);
    const bad = await h2Request(session, { ':path': '/api/v1%2F..%2Fv2%2Fme' });
    assert.equal(bad.status, 400);
    assert.match(String(bad.headers['content-type']), /^application\/problem\+json/);
  } finally {
    session.close();
  }
});

test('WebSocket upgrades work over TLS (HTTP/1.1 by ALPN)', async () => {
  const { default: WebSocket } = await import('ws');
  const ws = new WebSocket(`wss://127.0.0.1:${s.gateway.port}/api/v1/ws`, { ca: tls.cert });
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    const echoed = new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString())));
    ws.send('over tls');
    assert.equal(await echoed, 'over tls');
  } finally {
    ws.close();
  }
});
