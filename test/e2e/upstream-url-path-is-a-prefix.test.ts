import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { routesFile, startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';

/**
 * An upstream URL with a path (LEGACY_URL=http://host:5000/legacy, a routes.yaml `target: http://svc/base`) is a
 * prefix put before every request path, for HTTP requests, WebSocket upgrades and the gateway's own calls to
 * legacy (session introspection); it used to be dropped. The apps below are mounted under their prefix and answer
 * 404 anywhere else, as an app behind a SCRIPT_NAME or an ingress path does.
 */

interface MountedApp {
  url: string;
  /** `METHOD url` of every request, `UPGRADE url` of every upgrade, in arrival order. */
  seen: string[];
  close(): Promise<void>;
}

async function startMountedApp(mount: string): Promise<MountedApp> {
  const seen: string[] = [];
  const wss = new WebSocketServer({ noServer: true });
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '';
    seen.push(`${req.method} ${url}`);
    if (!url.startsWith(`${mount}/`)) return void res.writeHead(404).end();
    if (url === `${mount}/api/v1/me`) {
      const known = req.headers.cookie === 'session=good';
      res.writeHead(known ? 200 : 401, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify(known ? { user_id: 7 } : { error: 'no session' }));
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ url }));
  });
  server.on('upgrade', (req, socket, head) => {
    const url = req.url ?? '';
    seen.push(`UPGRADE ${url}`);
    if (!url.startsWith(`${mount}/`)) return void socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
    wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m) => ws.send(`${url} ${String(m)}`)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

let legacy: MountedApp;
let reports: MountedApp;
let gw: RunningGateway;

before(async () => {
  [legacy, reports] = await Promise.all([startMountedApp('/legacy'), startMountedApp('/svc')]);
  const yaml = `
routes:
  - id: reports
    path: /api/v1/reports/*
    target: ${reports.url}/svc/
`;
  gw = await startGateway({
    // Trailing slash and all: the prefix is /legacy.
    LEGACY_URL: `${legacy.url}/legacy/`,
    ROUTES_FILE: routesFile(yaml),
    RATE_LIMIT: 'off',
    FALLBACK_AUTH: 'legacy_session',
    LEGACY_SESSION_MODE: 'introspect',
  });
  await waitReady(gw);
});
after(async () => {
  await gw?.stop();
  await Promise.all([legacy?.close(), reports?.close()]);
});

test('legacy receives every request path under the LEGACY_URL path, raw escapes and query untouched', async () => {
  for (const [path, received] of [
    ['/api/v1/items?a=1&b=%2F', '/legacy/api/v1/items?a=1&b=%2F'],
    ['/api/v1/files/a%2Fb', '/legacy/api/v1/files/a%2Fb'],
    ['/', '/legacy/'],
  ]) {
    const res = await send(`${gw.url}${path}`);
    assert.equal(res.status, 200, `${path}: ${res.body.toString()}`);
    assert.equal(res.json().url, received);
  }
  assert.equal((await send(`${gw.url}/health/ready`)).json().checks.legacy, '1/1 reachable');
});

test('a routes.yaml target with a path sends the route under that path', async () => {
  const res = await send(`${gw.url}/api/v1/reports/q?x=1`);
  assert.equal(res.status, 200, res.body.toString());
  assert.equal(res.json().url, '/svc/api/v1/reports/q?x=1');
  assert.ok(!reports.seen.some((s) => s.includes(' /api/')), reports.seen.join('\n'));
});

test('a WebSocket upgrade to legacy goes under the prefix too', async () => {
  const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/api/v1/ws?room=1`);
  try {
    const echoed = await new Promise<string>((resolve, reject) => {
      ws.once('open', () => ws.send('hi'));
      ws.once('message', (m) => resolve(String(m)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    assert.equal(echoed, '/legacy/api/v1/ws?room=1 hi');
  } finally {
    ws.terminate();
  }
});

test("the gateway's own calls to legacy (session introspection) go under the prefix", async () => {
  const res = await send(`${gw.url}/api/v2/me`, { headers: { cookie: 'session=good' } });
  assert.equal(res.status, 200, res.body.toString());
  assert.equal(res.json().user_id, '7');
  assert.ok(legacy.seen.includes('GET /legacy/api/v1/me'), legacy.seen.join('\n'));
  assert.ok(
    !legacy.seen.some((s) => / \/api\//.test(s)),
    `nothing reached legacy outside /legacy:\n${legacy.seen.join('\n')}`,
  );
});
