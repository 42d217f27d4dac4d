import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { after, before, test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { routesFile, startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { TEST_JWT_SECRET, tokens } from '../support/tokens';

// An upgrade never passes Fastify's router or hooks: these prove the gateway still applies the route's path
// check, auth and rate limit to it, and sends its own identity fields, not the client's.
let upstream: WebSocketServer;
let gw: RunningGateway;
const seen: IncomingHttpHeaders[] = [];

before(async () => {
  upstream = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => upstream.once('listening', r));
  upstream.on('connection', (ws, req) => {
    seen.push(req.headers);
    ws.on('message', (m) => ws.send(m));
  });
  const routes = routesFile(`
routes:
  - id: ws-private
    path: /api/v1/ws
    target: legacy
    auth: required
    rate_limit: 3/1m
`);
  const port = (upstream.address() as { port: number }).port;
  gw = await startGateway({ LEGACY_URL: `http://127.0.0.1:${port}`, ROUTES_FILE: routes, JWT_SECRET: TEST_JWT_SECRET });
  await waitReady(gw);
});
after(async () => {
  await gw?.stop();
  upstream?.close();
});

function upgrade(path: string, headers: Record<string, string> = {}): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}${path}`, { headers });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode });
      res.resume();
    });
    ws.once('error', reject);
  });
}

test('an upgrade to a route with auth: required and no credentials is refused with 401, never relayed', async () => {
  const before = seen.length;
  assert.equal((await upgrade('/api/v1/ws')).status, 401);
  assert.equal(seen.length, before);
});

test('an authenticated upgrade is relayed with the gateway identity, whatever X-Figway-* the client sent', async () => {
  const { ws } = await upgrade('/api/v1/ws', {
    authorization: `Bearer ${tokens.valid({ sub: 'ws-user' })}`,
    'x-figway-user-id': 'admin',
    'x-figway_auth_method': 'forged',
  });
  assert.ok(ws);
  const echo = new Promise<string>((r) => ws.once('message', (d) => r(d.toString())));
  ws.send('hello');
  assert.equal(await echo, 'hello');
  ws.close();
  const h = seen.at(-1)!;
  assert.equal(h['x-figway-user-id'], 'ws-user');
  assert.equal(h['x-figway-auth-method'], 'jwt');
  assert.equal(h['x-figway_auth_method'], undefined);
});

test('a case or escape variant of the path cannot reach the route by another reading', async () => {
  const token = `Bearer ${tokens.valid({ sub: 'ws-user' })}`;
  assert.equal((await upgrade('/API/v1/ws', { authorization: token })).status, 400);
  assert.equal((await upgrade('/api%2Fv1%2Fws', { authorization: token })).status, 400);
});

test('upgrades count against the route rate limit, per user', async () => {
  const token = `Bearer ${tokens.valid({ sub: 'ws-limited' })}`;
  const results: (number | 'open')[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await upgrade('/api/v1/ws', { authorization: token });
    results.push(r.ws ? 'open' : r.status!);
    r.ws?.close();
  }
  assert.deepEqual(results, ['open', 'open', 'open', 429]);
});
