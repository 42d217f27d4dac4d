import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { metric } from '../support/chat';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { waitFor } from '../support/wait';

/** WebSocket upgrades never pass Fastify's hooks: they still get an access line and count in /metrics (issue 6). */
let upstream: CountingUpstream;
let gw: RunningGateway;
let wss: WebSocket.Server;

before(async () => {
  upstream = await startCountingUpstream((_req, res) => res.writeHead(404).end());
  wss = new WebSocket.Server({ noServer: true });
  upstream.server.on('upgrade', (req, socket, head) => {
    if (req.url?.startsWith('/api/v1/private')) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m) => ws.send(m)));
  });
  const routes = routesFile(`
routes:
  - id: live
    path: /api/v1/live
    target: legacy
  - id: private
    path: /api/v1/private
    target: legacy
`);
  gw = await startGateway({ LEGACY_URL: upstream.url, ROUTES_FILE: routes, LOG_LEVEL: 'info', RATE_LIMIT: 'off' });
});
after(async () => {
  await gw?.stop();
  wss?.close();
  await upstream?.close();
});

/** The line is written as the session or refusal ends, which may be just after the client has seen it end. */
async function accessLine(reqId: string): Promise<Record<string, unknown>> {
  const find = () =>
    gw.child
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((j) => j.msg === 'access' && j.reqId === reqId);
  await waitFor(() => find() !== undefined, 3_000, {
    what: `the access line of ${reqId}`,
    detail: () => gw.child.output(),
  });
  return find()!;
}

test('a WebSocket session: one access line when it closes (status 101, its duration, bytes) and counted by route', async () => {
  const reqId = 'ws-session-0001';
  const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/api/v1/live?token=QUERY-SECRET`, {
    headers: { 'x-request-id': reqId },
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send('ping');
  await new Promise((resolve) => ws.once('message', resolve));
  // Not a wait: the session is held open 300 ms on purpose, so its logged duration must be the session's (>= 300),
  // not the upgrade's.
  await new Promise((r) => setTimeout(r, 300));
  ws.close(1000);
  await new Promise((resolve) => ws.once('close', resolve));
  const line = await accessLine(reqId);
  assert.equal(line.route, 'live');
  assert.equal(line.target, 'legacy');
  assert.equal(line.status, 101);
  assert.equal(line.path, '/api/v1/live', 'no query string in the log');
  assert.equal(line.upgrade, 'websocket');
  assert.equal(line.client, '127.0.0.1');
  assert.ok(Number(line.durationMs) >= 300, `the session's duration: ${line.durationMs}`);
  assert.ok(Number(line.bytes) > 100, `the 101 head and the echo: ${line.bytes}`);
  assert.equal(await metric(gw, 'gateway_requests_total', { route: 'live', target: 'legacy', status: '101' }), 1);
  assert.equal(
    await metric(gw, 'gateway_time_to_first_byte_seconds_bucket', { route: 'live', le: '0.25' }),
    1,
    'the 101 came at once',
  );
});

test("an upgrade the upstream refuses is logged and counted with the upstream's status", async () => {
  const reqId = 'ws-refused-0001';
  const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/api/v1/private`, { headers: { 'x-request-id': reqId } });
  const status = await new Promise<number>((resolve) => {
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(-1));
  });
  assert.equal(status, 403);
  const line = await accessLine(reqId);
  assert.equal(line.route, 'private');
  assert.equal(line.status, 403);
  assert.equal(await metric(gw, 'gateway_requests_total', { route: 'private', status: '403' }), 1);
});

test('an upgrade the gateway refuses (a path no WebSocket lives at) is logged with its problem status', async () => {
  const reqId = 'ws-refused-0002';
  const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/health`, { headers: { 'x-request-id': reqId } });
  const status = await new Promise<number>((resolve) => {
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(-1));
  });
  assert.equal(status, 404);
  const line = await accessLine(reqId);
  assert.equal(line.status, 404);
  assert.equal(line.upgrade, 'websocket');
  assert.equal(line.route, 'gateway', "the gateway's own path, not the legacy catch-all");
  assert.equal(line.target, 'gateway');
});
