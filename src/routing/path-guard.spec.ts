import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalUrl } from './path-guard';

test('absolute-form becomes origin-form with dot segments resolved, and its authority becomes Host', () => {
  const headers: Record<string, string> = { host: 'shop.example' };
  assert.equal(canonicalUrl({ url: 'http://evil.example/api/v1/public/../admin/x?q=1', headers }), '/api/v1/admin/x?q=1');
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
