import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { rawExchange } from '../support/http';
import { startRecordingUpstream } from '../support/recording-upstream';
import { TEST_JWT_SECRET } from '../support/tokens';

// The request target and Host decide routing, auth and the cache key; these cases make sure a client cannot get one
// reading at the gateway and another at legacy (RFC 9112 3.2 and 3.2.2), and that the odd request-target forms
// (asterisk, authority) are answered, not crashed on or tunnelled.

let up: Awaited<ReturnType<typeof startRecordingUpstream>>;
let gw: RunningGateway;
before(async () => {
  up = await startRecordingUpstream();
  const routes = routesFile(`
routes:
  - { id: admin, path: /api/v1/admin/*, target: legacy, auth: required }
`);
  gw = await startGateway({ LEGACY_URL: up.url, ROUTES_FILE: routes, JWT_SECRET: TEST_JWT_SECRET, RATE_LIMIT: 'off' });
});
after(async () => {
  await gw?.stop();
  await up?.close();
});

const status = (answer: string) => Number(/^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1]);

test("absolute-form cannot skip a route's auth: GET http://evil.example/api/v1/admin/x is 401 and never forwarded", async () => {
  up.received.length = 0;
  const answer = await rawExchange(
    gw.port,
    'GET http://evil.example/api/v1/admin/x HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n',
    500,
  );
  assert.equal(status(answer), 401, answer);
  assert.equal(up.received.length, 0);
});

test("absolute-form reaches legacy in origin-form, with the target's authority as Host (RFC 9112 3.2.2)", async () => {
  up.received.length = 0;
  const answer = await rawExchange(
    gw.port,
    'GET http://evil.example/api/v1/echo/x?q=1 HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n',
    500,
  );
  assert.equal(status(answer), 200, answer);
  assert.equal(up.received.length, 1);
  const r = up.received[0];
  assert.equal(r.url, '/api/v1/echo/x?q=1', 'no scheme or authority in what legacy parses as the path');
  assert.deepEqual(r.fields.get('host'), ['evil.example'], 'one host, the one routing used');
  assert.deepEqual(r.fields.get('x-forwarded-host'), ['evil.example']);
});

test('absolute-form dot segments are resolved like origin-form ones before routing', async () => {
  up.received.length = 0;
  const answer = await rawExchange(
    gw.port,
    'GET http://x/api/v1/public/../admin/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    500,
  );
  assert.equal(status(answer), 401, answer);
  assert.equal(up.received.length, 0);
});

test('a Host of "evil" is relayed as the client sent it (legacy builds links from it) but picks no other route', async () => {
  up.received.length = 0;
  const admin = await rawExchange(
    gw.port,
    'GET /api/v1/admin/x HTTP/1.1\r\nHost: evil\r\nConnection: close\r\n\r\n',
    500,
  );
  assert.equal(status(admin), 401);
  const open = await rawExchange(
    gw.port,
    'GET /api/v1/echo/y HTTP/1.1\r\nHost: evil\r\nConnection: close\r\n\r\n',
    500,
  );
  assert.equal(status(open), 200);
  assert.deepEqual(
    up.received.map((r) => [r.url, r.fields.get('host')]),
    [['/api/v1/echo/y', ['evil']]],
  );
});

test('OPTIONS * is answered with a 4xx problem and not forwarded', async () => {
  up.received.length = 0;
  const answer = await rawExchange(gw.port, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 500);
  assert.ok(status(answer) >= 400 && status(answer) < 500, answer);
  assert.match(answer, /application\/problem\+json/);
  assert.equal(up.received.length, 0);
});

test('CONNECT opens no tunnel: the connection is closed at once, nothing forwarded, the gateway keeps serving', async () => {
  up.received.length = 0;
  const started = Date.now();
  // The trailing bytes would be tunnelled to evil.example:443 if the gateway acted as a forward proxy.
  const answer = await rawExchange(
    gw.port,
    'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\nGET / HTTP/1.1\r\nHost: evil.example\r\n\r\n',
    2_000,
  );
  assert.ok(answer === '' || (status(answer) >= 400 && status(answer) < 500), answer);
  assert.ok(Date.now() - started < 1_900, 'closed by the gateway, not left hanging until the client gave up');
  assert.equal(up.received.length, 0);
  const after = await rawExchange(gw.port, 'GET /api/v1/echo/z HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 500);
  assert.equal(status(after), 200);
});
