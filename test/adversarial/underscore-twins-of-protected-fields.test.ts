import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { startGateway, type RunningGateway } from '../support/gateway';
import { rawUntilClosed } from '../support/http';
import { startRecordingUpstream } from '../support/recording-upstream';

// Servers that fold `_` into `-` in field names (CGI-style stacks, older gunicorn, Puma before CVE-2024-45614)
// read `Transfer_Encoding` or `X_Forwarded_For` as the field itself: framing or a client address the client chose,
// past every check the gateway makes on the real spelling. An underscore twin of a field the gateway drops or sets
// never reaches legacy, on a plain request or a WebSocket handshake; other underscore names pass as sent.

let up: Awaited<ReturnType<typeof startRecordingUpstream>>;
let gw: RunningGateway;
/** The handshakes legacy got: lower-cased field name -> values. */
const handshakes: Map<string, string[]>[] = [];

before(async () => {
  up = await startRecordingUpstream();
  up.server.on('upgrade', (req, socket: Socket) => {
    const fields = new Map<string, string[]>();
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const k = req.rawHeaders[i].toLowerCase();
      fields.set(k, [...(fields.get(k) ?? []), req.rawHeaders[i + 1]]);
    }
    handshakes.push(fields);
    const accept = createHash('sha1')
      .update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest('base64');
    socket.end(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
  });
  gw = await startGateway({ LEGACY_URL: up.url, RATE_LIMIT: 'off' });
});
after(async () => {
  await gw?.stop();
  await up?.close();
});

// Sent as written on a raw socket: a client library might rename them.
const twins: [string, string][] = [
  ['Transfer_Encoding', 'chunked'],
  ['Content_Length', '5'],
  ['X_Forwarded_For', '6.6.6.6'],
  ['X-Real_IP', '6.6.6.6'],
  ['X-Forwarded_Host', 'evil.example'],
  ['X_Forwarded_Proto', 'https'],
  ['X_Request_Id', 'forged'],
  ['X_Original_URL', '/admin'],
  ['X_HTTP_Method_Override', 'DELETE'],
  ['Proxy_Authorization', 'Basic Zm9vOmJhcg=='],
  ['X_Figway_User_Id', 'admin'],
];
const ordinary: [string, string] = ['X_Custom_Thing', 'kept'];
const lines = [...twins, ordinary].map(([n, v]) => `${n}: ${v}\r\n`).join('');

function assertClean(fields: Map<string, string[]>): void {
  for (const [name] of twins) assert.equal(fields.get(name.toLowerCase()), undefined, `${name} reached legacy`);
  assert.deepEqual(fields.get('x_custom_thing'), ['kept'], 'an underscore field that is no twin passes as sent');
  // The gateway's own values stand, unchanged by the twins.
  assert.deepEqual(fields.get('x-forwarded-for'), ['127.0.0.1']);
  assert.deepEqual(fields.get('x-forwarded-host'), ['x']);
  assert.deepEqual(fields.get('x-forwarded-proto'), ['http']);
  for (const gone of ['x-real-ip', 'transfer-encoding', 'content-length', 'x-original-url', 'x-figway-user-id']) {
    assert.equal(fields.get(gone), undefined, gone);
  }
}

test('an underscore twin of a protected field never reaches legacy; other underscore fields pass', async () => {
  up.received.length = 0;
  const answer = await rawUntilClosed(
    gw.port,
    `GET /api/v1/x HTTP/1.1\r\nHost: x\r\n${lines}Connection: close\r\n\r\n`,
  );
  assert.match(answer, /^HTTP\/1\.1 200 /, answer);
  assert.equal(up.received.length, 1);
  assertClean(up.received[0].fields);
});

test('the same on a WebSocket handshake', async () => {
  handshakes.length = 0;
  const key = 'dGhlIHNhbXBsZSBub25jZQ==';
  const answer = await rawUntilClosed(
    gw.port,
    `GET /api/v1/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n${lines}\r\n`,
  );
  assert.match(answer, /^HTTP\/1\.1 101 /, answer);
  assert.equal(handshakes.length, 1);
  assertClean(handshakes[0]);
});
