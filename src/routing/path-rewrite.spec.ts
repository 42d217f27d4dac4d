import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRewrite, splitTarget } from './path-rewrite';

test('an exact path is replaced by the legacy path', () => {
  assert.equal(compileRewrite('/api/v2/chat', '/api/chat')('/api/v2/chat'), '/api/chat');
});

test('a prefix route rewrites its prefix and keeps the rest byte for byte', () => {
  const rw = compileRewrite('/api/v2/files/*', '/legacy/files/*');
  assert.equal(rw('/api/v2/files/a%2Fb/c'), '/legacy/files/a%2Fb/c');
  assert.equal(rw('/api/v2/files'), '/legacy/files');
  assert.equal(rw('/api/v2/files/'), '/legacy/files/');
});

test('params carry over by name, raw', () => {
  const rw = compileRewrite('/api/v2/users/:id/posts/:post', '/u/:post/of/:id');
  assert.equal(rw('/api/v2/users/7%20x/posts/9'), '/u/9/of/7%20x');
});

test('no legacy path means no rewrite', () => {
  assert.equal(compileRewrite('/a/*', undefined)('/a/b'), '/a/b');
});

test('splitTarget keeps the query untouched', () => {
  assert.deepEqual(splitTarget('/a%2Fb?x=%20y&x=2'), ['/a%2Fb', '?x=%20y&x=2']);
  assert.deepEqual(splitTarget('/a'), ['/a', '']);
});
