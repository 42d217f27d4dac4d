import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alternativeReadings, normalizePath } from './canonical-path';

test('dot segments are removed as RFC 3986 5.2.4 says, encoded or not', () => {
  assert.equal(normalizePath('/api/v1/../v2/me'), '/api/v2/me');
  assert.equal(normalizePath('/api/v1/%2e%2e/v2/me'), '/api/v2/me');
  assert.equal(normalizePath('/api/v1/.%2E/v2/me'), '/api/v2/me');
  assert.equal(normalizePath('/api/./v1/x'), '/api/v1/x');
  assert.equal(normalizePath('/../../etc/passwd'), '/etc/passwd');
  assert.equal(normalizePath('/a/b/..'), '/a/');
  assert.equal(normalizePath('/a/.'), '/a/');
});

test('empty segments are merged and a trailing slash is kept', () => {
  assert.equal(normalizePath('/api//v1///x'), '/api/v1/x');
  assert.equal(normalizePath('//'), '/');
  assert.equal(normalizePath('/a/b/'), '/a/b/');
  assert.equal(normalizePath('/a//'), '/a/');
});

test('everything else stays byte for byte', () => {
  for (const p of [
    '/',
    '/api/v1/echo/a%2Fb',
    '/x/%E2%82%AC',
    '/a/..b/c.',
    '/a/%2e%2ex',
    '/a/.hidden',
    '/semi;colon=1/x',
  ]) {
    assert.equal(normalizePath(p), p);
  }
});

test('plain lower-case paths have no other reading', () => {
  assert.equal(alternativeReadings('/api/v1/users/42'), undefined);
});

test('encoded and back slashes are read as slashes, escapes decoded, case folded', () => {
  assert.deepEqual(alternativeReadings('/api/v1%2Fadmin'), { decoded: '/api/v1/admin' });
  assert.deepEqual(alternativeReadings('/api/v1%5cadmin\\x'), { decoded: '/api/v1/admin/x' });
  assert.deepEqual(alternativeReadings('/%61pi/v1/x%2F..%2F..%2Fv2%2Fme'), { decoded: '/api/v2/me' });
  assert.deepEqual(alternativeReadings('/API/V2/Me'), { folded: '/api/v2/me' });
  assert.deepEqual(alternativeReadings('/A%2Fb'), { decoded: '/A/b', folded: '/a/b' });
});

test('a literal percent stays literal; broken escapes are reported', () => {
  assert.deepEqual(alternativeReadings('/a/%252F'), { folded: '/a/%252f' });
  assert.equal(alternativeReadings('/a/%zz'), null);
});

test('path parameters are dropped from every segment, then dot segments and escapes are read', () => {
  assert.deepEqual(alternativeReadings('/api/v1/admin;x=y/users'), { withoutParams: '/api/v1/admin/users' });
  assert.deepEqual(alternativeReadings('/api/v1/echo/..;/admin/x'), { withoutParams: '/api/v1/admin/x' });
  assert.deepEqual(alternativeReadings('/api/v1;x=1/admin'), { withoutParams: '/api/v1/admin' });
  assert.deepEqual(alternativeReadings('/api/v1/a;x=%2F..%2F/b'), {
    decoded: '/api/v1/b',
    withoutParams: '/api/v1/a/b',
  });
  assert.deepEqual(alternativeReadings('/cart;jsessionid=abc'), { withoutParams: '/cart' });
});
