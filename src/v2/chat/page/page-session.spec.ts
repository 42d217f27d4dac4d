import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeSession } from './page-session';

test('no legacy session reads as signed out, with nothing else said', () => {
  assert.deepEqual(describeSession(null), { signed_in: false });
});

test('the session username is the name shown', () => {
  assert.deepEqual(describeSession({ userId: '1', data: { user_id: 1, username: 'alice' } }), {
    signed_in: true,
    user_id: '1',
    name: 'alice',
  });
});

test('a session without a usable username is named by its user id', () => {
  for (const data of [undefined, {}, { username: '' }, { username: '  ' }, { username: 42 }, { username: ['alice'] }]) {
    assert.deepEqual(describeSession({ userId: '7', data }), { signed_in: true, user_id: '7', name: '7' });
  }
});

test('an overlong username is cut to a header-sized name', () => {
  assert.equal(describeSession({ userId: '1', data: { username: 'x'.repeat(500) } }).name, 'x'.repeat(64));
});
