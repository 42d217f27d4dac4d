import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { after, before, test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { routesFile, startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { admin, ADMIN_TOKEN, waitFor } from '../support/migration';
import { TEST_JWT_SECRET, tokens } from '../support/tokens';

// As for a request (rollback-reaches-legacy-without-gateway-credentials): while a rollback sends a new-side route
// to legacy, an upgrade on it goes to legacy, which authenticates as it did before the migration, so the route's
// `auth: required` acts as `optional`; valid gateway credentials still name the user. The rollback lifted, the
// upgrade goes to the new side again and needs the gateway's credentials.

interface Side {
  server: WebSocketServer;
  seen: IncomingHttpHeaders[];
}
let legacy: Side;
let fresh: Side;
let gw: RunningGateway;

async function wsServer(): Promise<Side> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  const seen: IncomingHttpHeaders[] = [];
  server.on('connection', (ws, req) => {
    seen.push(req.headers);
    ws.on('message', (m) => ws.send(m));
  });
  return { server, seen };
}
const portOf = (s: Side) => (s.server.address() as { port: number }).port;

before(async () => {
  [legacy, fresh] = await Promise.all([wsServer(), wsServer()]);
  const routes = routesFile(`
routes:
  - id: live-new
    path: /api/v1/live
    target: http://127.0.0.1:${portOf(fresh)}
    auth: required
`);
  gw = await startGateway({
    LEGACY_URL: `http://127.0.0.1:${portOf(legacy)}`,
    ROUTES_FILE: routes,
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT: 'off',
    ADMIN_TOKEN,
  });
  await waitReady(gw);
});
after(async () => {
  await gw?.stop();
  legacy?.server.close();
  fresh?.server.close();
});

/** Opens an upgrade; says 'open' (closing it again) or the refusal's status. */
function upgrade(headers: Record<string, string> = {}): Promise<'open' | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/api/v1/live`, { headers });
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.once('error', reject);
  });
}

test('under a rollback an upgrade without gateway credentials reaches legacy; lifted, it needs them again', async () => {
  const bearer = { authorization: `Bearer ${tokens.valid({ sub: 'ws-user' })}` };
  assert.equal(await upgrade(), 401, 'before: the route wants a gateway credential');
  assert.equal(await upgrade(bearer), 'open');
  assert.equal(fresh.seen.length, 1, 'before: the new side serves it');
  assert.equal(legacy.seen.length, 0);

  assert.equal((await admin(gw.url, 'PUT', '/admin/routes/live-new', { rollback: true })).status, 200);
  await waitFor(async () => (await upgrade()) === 'open', 2_000);
  assert.equal(await upgrade(bearer), 'open');
  assert.equal(fresh.seen.length, 1, 'rolled back: nothing more reaches the new side');
  assert.ok(legacy.seen.length >= 2, `legacy served the anonymous upgrades: ${legacy.seen.length}`);
  const named = legacy.seen.at(-1)!;
  assert.equal(named['x-figway-user-id'], 'ws-user', 'valid credentials still name the user upstream');
  assert.equal(named['x-figway-auth-method'], 'jwt');
  assert.ok(legacy.seen.slice(0, -1).every((h) => h['x-figway-user-id'] === undefined));

  assert.equal((await admin(gw.url, 'PUT', '/admin/routes/live-new', { rollback: null })).status, 200);
  await waitFor(async () => (await upgrade()) === 401, 2_000);
  const before = legacy.seen.length;
  assert.equal(await upgrade(bearer), 'open');
  assert.equal(fresh.seen.length, 2, 'lifted: the new side serves it again');
  assert.equal(legacy.seen.length, before);
});
