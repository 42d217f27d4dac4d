import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { MemoryStore } from '../store/memory-store';
import { EncryptedStore } from '../store/encrypted-store';
import { DataCipher, DecryptionError } from './data-cipher';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };

test('a value round-trips, and the stored bytes do not contain the plaintext', () => {
  const c = new DataCipher([k1]);
  const blob = c.encrypt(Buffer.from('hello history'), 'chat:1');
  assert.ok(!blob.includes(Buffer.from('hello history')));
  assert.equal(c.decrypt(blob, 'chat:1').toString(), 'hello history');
});

test('a value moved under another key, or tampered with, does not decrypt', () => {
  const c = new DataCipher([k1]);
  const blob = c.encrypt(Buffer.from('secret'), 'chat:1');
  assert.throws(() => c.decrypt(blob, 'chat:2'), DecryptionError);
  const bad = Buffer.from(blob);
  bad[bad.length - 20] ^= 1;
  assert.throws(() => c.decrypt(bad, 'chat:1'), DecryptionError);
});

test('after a rotation old values still decrypt and are re-sealed under the new key on read', async () => {
  const raw = new MemoryStore();
  await new EncryptedStore(raw, new DataCipher([k1])).set('s:1', Buffer.from('v'), 60_000);
  const rotated = new DataCipher([k2, k1]);
  const store = new EncryptedStore(raw, rotated);
  assert.equal((await store.get('s:1', 60_000))?.toString(), 'v');
  assert.equal(rotated.needsRotation((await raw.get('s:1'))!), false);
  assert.equal(
    (await new EncryptedStore(raw, new DataCipher([k2])).get('s:1'))?.toString(),
    'v',
    'k1 is no longer needed',
  );
});

test('a value under a key that was dropped is refused clearly', () => {
  const blob = new DataCipher([k1]).encrypt(Buffer.from('v'), 'x');
  assert.throws(() => new DataCipher([k2]).decrypt(blob, 'x'), /key id k1 is not configured/);
});
