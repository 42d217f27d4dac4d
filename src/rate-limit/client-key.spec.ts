import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressKey } from './client-key';

test('IPv4 addresses count one by one, mapped or not', () => {
  assert.equal(addressKey('203.0.113.7'), '203.0.113.7');
  assert.equal(addressKey('::ffff:203.0.113.7'), '203.0.113.7');
});

test('IPv6 addresses of one /64 share a counter, whatever their spelling', () => {
  const a = addressKey('2001:db8:1:2:aaaa::1');
  assert.equal(a, '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), a);
  assert.notEqual(addressKey('2001:db8:1:3::1'), a);
  assert.equal(addressKey('::1'), '0:0:0:0::/64');
});
