import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { rawUntilClosed } from '../support/http';
import { startRecordingUpstream } from '../support/recording-upstream';
import { TEST_JWT_SECRET } from '../support/tokens';

// Servlet containers and the frameworks on them (Tomcat, Jetty, Spring, Shiro) drop `;parameters` from each path
// segment before they route: `/api/v1/admin;x=y/users` is `/api/v1/admin/users` there, and `/echo/..;/admin` is
// `/admin` (CVE-2020-1957). Routed on the path as sent, such a request skipped the auth the admin route requires.
// A path whose reading without parameters names another route is refused; `;jsessionid=` inside one route passes.

let up: Awaited<ReturnType<typeof startRecordingUpstream>>;
let gw: RunningGateway;
before(async () => {
  up = await startRecordingUpstream();
  const routes = routesFile(`
routes:
  - { id: admin, path: /api/v1/admin/*, target: legacy, auth: required }
  - { id: v1, path: /api/v1/*, target: legacy }
`);
  gw = await startGateway({ LEGACY_URL: up.url, ROUTES_FILE: routes, JWT_SECRET: TEST_JWT_SECRET, RATE_LIMIT: 'off' });
});
after(async () => {
  await gw?.stop();
  await up?.close();
});

const request = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}Connection: close\r\n\r\n`;
const status = (answer: string) => Number(/^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1]);
const body = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));

for (const path of [
  '/api/v1/admin;x=y/users',
  '/api/v1/echo/..;/admin/users',
  '/api/v1;x=1/admin/users',
  '/api/v1/echo/..;jsessionid=1/admin/users',
]) {
  test(`${path} is 400 BAD_PATH and never reaches legacy`, async () => {
    up.received.length = 0;
    const answer = await rawUntilClosed(gw.port, request(path));
    assert.equal(status(answer), 400, answer);
    assert.match(answer, /\r\ncontent-type: application\/problem\+json/i);
    assert.equal(body(answer).code, 'BAD_PATH');
    assert.equal(up.received.length, 0);
  });
}

test('a WebSocket handshake to such a path is refused the same way', async () => {
  up.received.length = 0;
  const handshake =
    'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
  const answer = await rawUntilClosed(
    gw.port,
    `GET /api/v1/admin;x=y/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n${handshake}\r\n`,
  );
  assert.equal(status(answer), 400, answer);
  assert.equal(body(answer).code, 'BAD_PATH');
  assert.equal(up.received.length, 0);
});

test('path parameters that stay inside one route are forwarded unchanged', async () => {
  for (const path of [
    '/api/v1/cart;jsessionid=abc',
    '/api/v1/cart;jsessionid=abc/items?x=1',
    '/api/v1/admin/users;jsessionid=abc',
  ]) {
    up.received.length = 0;
    const answer = await rawUntilClosed(gw.port, request(path));
    if (path.startsWith('/api/v1/admin/')) {
      // Inside the guarded route: its auth applies as to any other path there.
      assert.equal(status(answer), 401, answer);
      assert.equal(up.received.length, 0);
      continue;
    }
    assert.equal(status(answer), 200, answer);
    assert.deepEqual(
      up.received.map((r) => r.url),
      [path],
    );
  }
});
