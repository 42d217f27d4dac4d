import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GatewayConfig, RouteSpec } from '../config';
import { canonicalUrl, compilePathCheck, foldRoutes } from './path-guard';
import { compileRouteTable } from './route-table';

test('absolute-form becomes origin-form with dot segments resolved, and its authority becomes Host', () => {
  const headers: Record<string, string> = { host: 'shop.example' };
  assert.equal(
    canonicalUrl({ url: 'http://evil.example/api/v1/public/../admin/x?q=1', headers }),
    '/api/v1/admin/x?q=1',
  );
  assert.equal(headers.host, 'evil.example');
  const withUser: Record<string, string> = { host: 'a' };
  assert.equal(canonicalUrl({ url: 'https://user:pw@b.example:8443', headers: withUser }), '/');
  assert.equal(withUser.host, 'b.example:8443');
  assert.equal(canonicalUrl({ url: 'http://c.example?x=1', headers: {} }), '/?x=1');
});

test('origin-form and asterisk-form are left as they are', () => {
  assert.equal(canonicalUrl({ url: '/a/b?c' }), '/a/b?c');
  assert.equal(canonicalUrl({ url: '*' }), '*');
});

function check(routes: RouteSpec[]) {
  const config = (r: RouteSpec[]) =>
    ({
      routes: r,
      routeAllToLegacy: false,
      upstream: { timeoutMs: 1, connectTimeoutMs: 1, idleTimeoutMs: 1, connections: 1 },
    }) as GatewayConfig;
  return compilePathCheck(
    compileRouteTable(config(routes), new Set()),
    compileRouteTable(config(foldRoutes(routes)), new Set()),
  );
}

test('a path whose reading without `;parameters` names another route is refused; one that stays is not', () => {
  const pathCheck = check([
    { id: 'admin', path: '/api/v1/admin/*', target: 'legacy', auth: 'required' },
    { id: 'v1', path: '/api/v1/*', target: 'legacy' },
  ] as RouteSpec[]);
  for (const path of [
    '/api/v1/admin;x=y/users',
    '/api/v1/echo/..;/admin/users',
    '/api/v1;x=1/admin/users',
    '/api/v1/x/..;a=b/admin',
    '/api/v1/admin;x',
  ]) {
    assert.match(pathCheck(path, 'GET') ?? '', /path parameters/, path);
  }
  for (const path of [
    '/api/v1/cart;jsessionid=abc',
    '/api/v1/cart;jsessionid=abc/items',
    '/api/v1/admin/users;jsessionid=abc',
    '/other;x=1',
  ]) {
    assert.equal(pathCheck(path, 'GET'), undefined, path);
  }
});
