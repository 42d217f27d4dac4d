import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createNonce } from './nonce';

test('nonces are 128-bit base64 values, all different across pool refills', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2_000; i++) {
    const n = createNonce();
    assert.match(n, /^[A-Za-z0-9+/]{22}==$/);
    assert.equal(Buffer.from(n, 'base64').length, 16);
    seen.add(n);
  }
  assert.equal(seen.size, 2_000);
});
