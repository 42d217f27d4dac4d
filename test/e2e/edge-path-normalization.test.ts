import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { routesFile } from '../support/gateway';
import { send } from '../support/http';
import { startStack, type Stack } from '../support/stack';

// A legacy route guarded by the gateway: any reading of a path that reaches it must pass the same auth check.
const ROUTES = routesFile(`
routes:
  - id: private
    path: /api/v1/private/*
    target: legacy
    auth: required
  - id: v1
    path: /api/v1/*
    target: legacy
  - id: v2-me
    path: /api/v2/me
    target: module:auth
    auth: required
  - id: shouty
    path: /api/v1/Reports/*
    target: legacy
    auth: required
`);

let s: Stack;
before(async () => (s = await startStack({ ROUTES_FILE: ROUTES, JWT_SECRET: 'x'.repeat(32) })));
after(() => s?.stop());

const get = (path: string) => send(s.gateway.url + path);

test('dot segments, plain or percent-encoded, are resolved before routing and legacy receives the result', async () => {
  for (const [sent, seen] of [
    ['/api/v1/echo/../echo/a', '/api/v1/echo/a'],
    ['/api/v1/x/%2e%2e/echo/b?q=1', '/api/v1/echo/b?q=1'],
    ['/api/v1/x/.%2E/./echo/c', '/api/v1/echo/c'],
  ]) {
    const res = await get(sent);
    assert.equal(res.status, 200, `${sent}: ${res.body}`);
    assert.equal(res.json().raw_uri, seen, sent);
  }
});

test('a dot-segment detour cannot skip the auth of the route it lands on', async () => {
  for (const path of [
    '/api/v1/../v2/me',
    '/api/v1/echo/%2e%2e/%2E%2E/v2/me',
    '/api/v1/echo/../private/echo',
    '/api/v1//private/echo',
  ]) {
    const res = await get(path);
    assert.equal(res.status, 401, `${path} -> ${res.status} ${res.body}`);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  }
});

test('encoded slashes or backslashes that would cross into another route are refused, not forwarded', async () => {
  for (const path of [
    '/api/v1%2Fprivate/echo',
    '/api/v1/x%2F..%2Fprivate%2Fecho',
    '/api%2fv2%2fme',
    '/api/v1%5Cprivate%5Cecho',
    '/api/v1\\private\\echo',
  ]) {
    const res = await get(path);
    assert.equal(res.status, 400, `${path} -> ${res.status} ${res.body}`);
    assert.equal(res.json().code, 'BAD_PATH');
  }
});

test('letter case that a case-blind upstream would fold into another route is refused', async () => {
  for (const path of ['/API/V2/ME', '/api/v1/PRIVATE/echo', '/Api/v1/private/x', '/api/v1/reports/x']) {
    const res = await get(path);
    assert.equal(res.status, 400, `${path} -> ${res.status} ${res.body}`);
  }
});

test('encoded slashes and capitals inside one route still pass byte for byte', async () => {
  for (const path of ['/api/v1/echo/a%2Fb', '/api/v1/echo/Mixed/Case%2FPath', '/api/v1/echo/%7Euser']) {
    const res = await get(path);
    assert.equal(res.status, 200, `${path} -> ${res.status} ${res.body}`);
    assert.equal(res.json().raw_uri, path);
  }
  // A route declared with capitals serves its own spelling (and then asks for credentials).
  assert.equal((await get('/api/v1/Reports/x')).status, 401);
});

test('malformed percent-encoding is a 400 problem', async () => {
  const res = await get('/api/v1/echo/%zz');
  assert.equal(res.status, 400);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  assert.equal(res.json().code, 'BAD_PATH');
});
