import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';

const ALLOWED = 'https://app.example.com';
const UNKNOWN = 'https://evil.example.net';

let upstream: CountingUpstream;
let gw: RunningGateway;
let any: RunningGateway;

before(async () => {
  // The upstream has its own (too loose) CORS answer: it passes on /api/v1, never on /api/v2.
  upstream = await startCountingUpstream((req, res) => {
    res.writeHead(200, {
      'content-type': 'application/json',
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'PROPFIND',
      vary: 'Accept-Encoding',
    });
    res.end(JSON.stringify({ method: req.method, url: req.url }));
  });
  const routes = routesFile(
    'routes:\n  - { id: v2-meta, path: /api/v2/meta, target: "module:meta" }\n' +
      '  - { id: v2-legacy, path: /api/v2/legacy/*, target: legacy }\n  - { id: v1, path: /api/v1/*, target: legacy }\n',
  );
  const env = { LEGACY_URL: upstream.url, ROUTES_FILE: routes, RATE_LIMIT: '100/60s' };
  gw = await startGateway({ ...env, CORS_ORIGINS: `${ALLOWED}, http://localhost:3000` });
  any = await startGateway({ ...env, CORS_ORIGINS: '*' });
});
after(async () => {
  await gw?.stop();
  await any?.stop();
  await upstream?.close();
});

const preflight = (base: string, path: string, origin: string) =>
  send(`${base}${path}`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  });

test('an allowed origin on a v2 module route: its origin echoed with credentials, headers exposed, Vary: Origin', async () => {
  const res = await send(`${gw.url}/api/v2/meta`, { headers: { origin: ALLOWED } });
  assert.equal(res.status, 200);
  assert.equal(res.headers['access-control-allow-origin'], ALLOWED);
  assert.equal(res.headers['access-control-allow-credentials'], 'true');
  assert.match(String(res.headers['access-control-expose-headers']), /X-Request-Id.*RateLimit-Remaining.*Retry-After/);
  assert.match(String(res.headers.vary), /Origin/);
});

test('an unknown origin gets no allow fields at all, and neither does a request without Origin', async () => {
  for (const headers of [{ origin: UNKNOWN }, {}]) {
    const res = await send(`${gw.url}/api/v2/meta`, { headers });
    assert.equal(res.status, 200);
    for (const name of Object.keys(res.headers)) assert.ok(!name.startsWith('access-control-'), name);
    assert.match(String(res.headers.vary), /Origin/);
  }
});

test('preflight from an allowed origin: 204 by the gateway with methods, headers and max-age', async () => {
  for (const path of ['/api/v2/meta', '/api/v2/legacy/things']) {
    const before = upstream.hits();
    const res = await preflight(gw.url, path, ALLOWED);
    assert.equal(res.status, 204, path);
    assert.equal(res.headers['access-control-allow-origin'], ALLOWED);
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.match(String(res.headers['access-control-allow-methods']), /POST/);
    assert.match(String(res.headers['access-control-allow-headers']), /Authorization.*Content-Type.*X-Request-Id/);
    assert.equal(res.headers['access-control-max-age'], '600');
    assert.match(String(res.headers.vary), /Origin/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff', 'security headers on preflights too');
    assert.equal(upstream.hits(), before, `${path}: the preflight never reached the upstream`);
  }
});

test('preflight from an unknown origin: 204 without any allow field', async () => {
  const res = await preflight(gw.url, '/api/v2/meta', UNKNOWN);
  assert.equal(res.status, 204);
  for (const name of Object.keys(res.headers)) assert.ok(!name.startsWith('access-control-'), name);
});

test('a v2 route proxied to legacy takes the gateway CORS answer, never the upstream one; its Vary is kept', async () => {
  const ok = await send(`${gw.url}/api/v2/legacy/x`, { headers: { origin: ALLOWED } });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['access-control-allow-origin'], ALLOWED);
  assert.equal(ok.headers['access-control-allow-methods'], undefined);
  assert.match(String(ok.headers.vary), /Accept-Encoding/);
  assert.match(String(ok.headers.vary), /Origin/);
  const denied = await send(`${gw.url}/api/v2/legacy/x`, { headers: { origin: UNKNOWN } });
  for (const name of Object.keys(denied.headers)) assert.ok(!name.startsWith('access-control-'), name);
});

test('/api/v1 is untouched: the legacy CORS answer passes and preflights reach legacy', async () => {
  const res = await send(`${gw.url}/api/v1/x`, { headers: { origin: ALLOWED } });
  assert.equal(res.headers['access-control-allow-origin'], '*');
  assert.equal(res.headers['access-control-allow-methods'], 'PROPFIND');
  assert.equal(res.headers['access-control-allow-credentials'], undefined);
  assert.equal(res.headers.vary, 'Accept-Encoding');
  const before = upstream.hits();
  const pre = await preflight(gw.url, '/api/v1/x', ALLOWED);
  assert.equal(pre.status, 200);
  assert.equal(upstream.hits(), before + 1);
});

test('CORS_ORIGINS=*: any origin, never with credentials', async () => {
  const res = await send(`${any.url}/api/v2/meta`, { headers: { origin: UNKNOWN } });
  assert.equal(res.headers['access-control-allow-origin'], '*');
  assert.equal(res.headers['access-control-allow-credentials'], undefined);
  const pre = await preflight(any.url, '/api/v2/meta', UNKNOWN);
  assert.equal(pre.status, 204);
  assert.equal(pre.headers['access-control-allow-origin'], '*');
});
