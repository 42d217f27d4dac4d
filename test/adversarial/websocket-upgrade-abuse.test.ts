import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { startGateway, type RunningGateway } from '../support/gateway';
import { rawExchange } from '../support/http';
import { startRecordingUpstream } from '../support/recording-upstream';

// Every `Connection: Upgrade` request leaves Fastify and goes to the gateway's own upgrade handler, which turns the
// connection into a byte tunnel once legacy says 101. So a handshake the gateway would not relay as a WebSocket must
// be answered there: never a hang, never a reset without a word, and never a tunnel to legacy.

let up: Awaited<ReturnType<typeof startRecordingUpstream>>;
let gw: RunningGateway;
const upgradesSeen: string[] = [];

before(async () => {
  up = await startRecordingUpstream();
  // A minimal WebSocket server: records the handshake, answers 101 and echoes bytes, so a wrongly relayed upgrade
  // would show up both here and as a tunnel in the client's answer.
  up.server.on('upgrade', (req, socket: Socket) => {
    upgradesSeen.push(`${req.headers.upgrade} ${req.url}`);
    const accept = createHash('sha1')
      .update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    socket.on('data', (d) => socket.write(d));
    socket.on('end', () => socket.end());
    socket.on('error', () => socket.destroy());
  });
  gw = await startGateway({ LEGACY_URL: up.url, RATE_LIMIT: 'off' });
});
after(async () => {
  await gw?.stop();
  await up?.close();
});

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const upgrade = (path: string, fields: string) =>
  `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n${fields}\r\n`;

async function refusedCleanly(payload: string): Promise<string> {
  upgradesSeen.length = 0;
  up.received.length = 0;
  const started = Date.now();
  const answer = await rawExchange(gw.port, payload, 1_500);
  assert.ok(Date.now() - started < 1_400, 'the gateway closed the connection itself; it did not wait for the client');
  assert.match(answer, /^HTTP\/1\.1 4\d\d /, `an answer, not a reset: ${JSON.stringify(answer)}`);
  assert.match(answer, /application\/problem\+json/);
  assert.doesNotMatch(answer, /101 Switching/);
  assert.deepEqual(upgradesSeen, []);
  assert.equal(up.received.length, 0);
  return answer;
}

test('h2c upgrade (RFC 7540 3.2) is answered with a 400 problem, not a reset or a tunnel', async () => {
  await refusedCleanly(upgrade('/api/v1/echo', 'Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n'));
});

test('an unknown protocol in Upgrade is refused the same way', async () => {
  await refusedCleanly(upgrade('/api/v1/echo', 'Upgrade: tls/1.3\r\n'));
});

test('WebSocket version 8 is refused with 400 and Sec-WebSocket-Version: 13 (RFC 6455 4.2.2)', async () => {
  const answer = await refusedCleanly(
    upgrade('/api/v1/ws', `Upgrade: websocket\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: ${KEY}\r\n`),
  );
  assert.match(answer, /^HTTP\/1\.1 400 /);
  assert.match(answer, /\r\nSec-WebSocket-Version: 13\r\n/i);
});

for (const [name, key] of [
  ['missing', ''],
  ['not base64 of 16 bytes', 'Sec-WebSocket-Key: short\r\n'],
  ['with junk after it', `Sec-WebSocket-Key: ${KEY}x\r\n`],
]) {
  test(`a Sec-WebSocket-Key ${name} is refused before legacy sees the handshake`, async () => {
    await refusedCleanly(upgrade('/api/v1/ws', `Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n${key}`));
  });
}

test('a WebSocket handshake with POST is refused', async () => {
  await refusedCleanly(
    `POST /api/v1/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${KEY}\r\nContent-Length: 0\r\n\r\n`,
  );
});

test('an upgrade to a v2 module route or a gateway path gets 404, no tunnel', async () => {
  for (const path of ['/api/v2/me', '/health', '/metrics']) {
    const answer = await refusedCleanly(
      upgrade(path, `Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${KEY}\r\n`),
    );
    assert.match(answer, /^HTTP\/1\.1 404 /, path);
  }
});

test('a well-formed WebSocket handshake still reaches legacy and tunnels', async () => {
  upgradesSeen.length = 0;
  const answer = await rawExchange(
    gw.port,
    upgrade('/api/v1/ws', `Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${KEY}\r\n`),
    500,
  );
  assert.match(answer, /^HTTP\/1\.1 101 /);
  assert.deepEqual(upgradesSeen, ['websocket /api/v1/ws']);
});
