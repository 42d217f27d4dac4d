import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { waitFor } from '../support/wait';

interface AccessLine {
  msg: string;
  level: number;
  reqId: string;
  traceId?: string;
  method: string;
  route: string;
  target: string;
  path: string;
  status: number;
  durationMs: number;
  bytes?: number;
  client: string;
}

let upstream: CountingUpstream;
let gw: RunningGateway;

const ROUTES = routesFile(`
routes:
  - id: v2-meta
    path: /api/v2/meta
    target: module:meta
  - id: limited
    path: /api/v1/limited/*
    target: legacy
    rate_limit: 1/60s
  - id: v1
    path: /api/v1/*
    target: legacy
`);

before(async () => {
  upstream = await startCountingUpstream((_req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.setHeader('content-length', '5');
    res.end('hello');
  });
  gw = await startGateway({ LEGACY_URL: upstream.url, ROUTES_FILE: ROUTES, LOG_LEVEL: 'info', RATE_LIMIT: 'off' });
});
after(async () => {
  await gw?.stop();
  await upstream?.close();
});

function accessLines(output: string): AccessLine[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as AccessLine)
    .filter((j) => j.msg === 'access');
}

/** The line is written when the response is over, which may be just after the client has read it. */
async function lineFor(g: RunningGateway, reqId: string): Promise<AccessLine> {
  let line: AccessLine | undefined;
  await waitFor(() => (line = accessLines(g.child.output()).find((l) => l.reqId === reqId)) !== undefined, 3_000, {
    what: `the access line of ${reqId}`,
    detail: () => g.child.output(),
  });
  return line!;
}

const SECRETS = {
  authorization: 'Bearer tok-AUTH-SECRET',
  cookie: 'session=COOKIE-SECRET; theme=dark',
  'x-api-key': 'APIKEY-SECRET',
};

test('a proxied request: one JSON line at info with request id, route, target, path without query, status, duration', async () => {
  const res = await send(`${gw.url}/api/v1/items/42?token=QUERY-SECRET&page=2`, { headers: SECRETS });
  assert.equal(res.status, 200);
  const reqId = res.headers['x-request-id'] as string;
  const line = await lineFor(gw, reqId);
  assert.equal(line.level, 30, 'info');
  assert.equal(line.method, 'GET');
  assert.equal(line.route, 'v1');
  assert.equal(line.target, 'legacy');
  assert.equal(line.path, '/api/v1/items/42');
  assert.equal(line.status, 200);
  assert.equal(typeof line.durationMs, 'number');
  assert.ok(line.durationMs >= 0 && line.durationMs < 10_000, String(line.durationMs));
  // As sent on the socket: the head, then the 5-byte body.
  assert.ok(line.bytes! > 5 && line.bytes! < 1_000, String(line.bytes));
  assert.equal(line.client, '127.0.0.1');
  assert.equal(line.traceId, undefined, 'no trace id while tracing is off');
  assert.equal(accessLines(gw.child.output()).filter((l) => l.reqId === reqId).length, 1, 'exactly one line');
});

test('a proxied request is counted once in /metrics too (Fastify runs onResponse for hijacked replies)', async () => {
  await send(`${gw.url}/api/v1/once`);
  const text = (await send(`${gw.url}/metrics`)).body.toString();
  const v1 = text.split('\n').filter((l) => l.startsWith('gateway_requests_total{') && l.includes('route="v1"'));
  assert.ok(v1.length > 0 && v1.every((l) => l.includes('target="legacy"')), v1.join('\n'));
});

test('a v2 module request and a gateway endpoint are logged from the onResponse hook', async () => {
  const meta = await send(`${gw.url}/api/v2/meta?debug=QUERY-SECRET`, { headers: SECRETS });
  assert.equal(meta.status, 200);
  const line = await lineFor(gw, meta.headers['x-request-id'] as string);
  assert.equal(line.route, 'v2-meta');
  assert.equal(line.target, 'module:meta');
  assert.equal(line.path, '/api/v2/meta');
  assert.equal(line.status, 200);
  assert.ok(line.bytes! > meta.body.length, String(line.bytes));
  assert.ok(line.durationMs >= 0);

  const health = await send(`${gw.url}/health`);
  const h = await lineFor(gw, health.headers['x-request-id'] as string);
  assert.equal(h.route, 'gateway');
  assert.equal(h.target, 'gateway');
});

test('statuses the gateway decides are logged too: 429 before the forwarder, 502 from it, with their route', async () => {
  const first = await send(`${gw.url}/api/v1/limited/a`);
  assert.equal(first.status, 200);
  const second = await send(`${gw.url}/api/v1/limited/a`);
  assert.equal(second.status, 429);
  const limited = await lineFor(gw, second.headers['x-request-id'] as string);
  assert.equal(limited.route, 'limited');
  assert.equal(limited.target, 'legacy');
  assert.equal(limited.status, 429);
  // The first request ran the route's limiter although RATE_LIMIT=off; its line is the forwarder's.
  assert.equal((await lineFor(gw, first.headers['x-request-id'] as string)).status, 200);

  const dead = await startGateway({
    LEGACY_URL: 'http://127.0.0.1:9',
    ROUTES_FILE: ROUTES,
    LOG_LEVEL: 'info',
    RATE_LIMIT: 'off',
  });
  try {
    const res = await send(`${dead.url}/api/v1/x`, { headers: { 'x-request-id': 'client-chosen-id-1' } });
    assert.equal(res.status, 502);
    const line = await lineFor(dead, 'client-chosen-id-1');
    assert.equal(line.status, 502);
    assert.equal(line.route, 'v1');
  } finally {
    await dead.stop();
  }
});

test('no credential, cookie or query value is ever written to the log', async () => {
  const login = await send(`${gw.url}/api/v1/login?password=QUERY-SECRET`, {
    method: 'POST',
    headers: { ...SECRETS, 'content-type': 'text/plain' },
    body: 'BODY-SECRET',
  });
  const meta = await send(`${gw.url}/api/v2/meta?x=QUERY-SECRET`, { headers: SECRETS });
  // Each request's access line is its last log line: once both are out, whatever they logged is in the output.
  for (const res of [login, meta]) await lineFor(gw, res.headers['x-request-id'] as string);
  const out = gw.child.output();
  assert.ok(accessLines(out).length >= 4);
  for (const secret of [
    'AUTH-SECRET',
    'COOKIE-SECRET',
    'APIKEY-SECRET',
    'QUERY-SECRET',
    'BODY-SECRET',
    'theme=dark',
    'password=',
  ]) {
    assert.ok(!out.includes(secret), `${secret} in the log`);
  }
});

test('LOG_LEVEL=warn or ACCESS_LOG=false write no access lines', async () => {
  const quiet = await startGateway({
    LEGACY_URL: upstream.url,
    ROUTES_FILE: ROUTES,
    LOG_LEVEL: 'warn',
    RATE_LIMIT: 'off',
  });
  const off = await startGateway({
    LEGACY_URL: upstream.url,
    ROUTES_FILE: ROUTES,
    LOG_LEVEL: 'info',
    ACCESS_LOG: 'false',
    RATE_LIMIT: 'off',
  });
  try {
    for (const g of [quiet, off]) {
      assert.equal((await send(`${g.url}/api/v1/items`)).status, 200);
      assert.equal((await send(`${g.url}/api/v2/meta`)).status, 200);
    }
    // Proves an absence (no access line): a line is written as its response ends, within milliseconds of the
    // client reading the answer, so 200 ms after the last answer is ample even on a loaded machine.
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(accessLines(quiet.child.output()), []);
    assert.deepEqual(accessLines(off.child.output()), []);
    assert.match(off.child.output(), /"accessLog":false/, 'the effective configuration line says so');
  } finally {
    await quiet.stop();
    await off.stop();
  }
});
