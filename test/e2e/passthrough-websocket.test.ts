import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startStack, type Stack } from '../support/stack';

let s: Stack;
before(async () => (s = await startStack()));
after(() => s?.stop());

function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
}

function next(ws: WebSocket): Promise<{ data: Buffer; binary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data, binary) => resolve({ data: data as Buffer, binary })));
}

test('a WebSocket echo works through the gateway, text and binary', async () => {
  const ws = await open(`${s.gateway.url.replace('http', 'ws')}/api/v1/ws`);
  ws.send('hello through figway');
  const text = await next(ws);
  assert.equal(text.binary, false);
  assert.equal(text.data.toString(), 'hello through figway');
  const bytes = Buffer.from([0, 1, 2, 250, 255]);
  ws.send(bytes);
  const bin = await next(ws);
  assert.equal(bin.binary, true);
  assert.deepEqual(bin.data, bytes);
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  ws.close(1000);
  assert.equal(await closed, 1000);
});

test('an upgrade to a dead upstream fails cleanly instead of hanging', async () => {
  const { startGateway } = await import('../support/gateway');
  const gw = await startGateway({ LEGACY_URL: 'http://127.0.0.1:9', UPSTREAM_CONNECT_TIMEOUT_MS: '500' });
  try {
    const started = Date.now();
    await assert.rejects(open(`${gw.url.replace('http', 'ws')}/api/v1/ws`));
    assert.ok(Date.now() - started < 3_000);
  } finally {
    await gw.stop();
  }
});
