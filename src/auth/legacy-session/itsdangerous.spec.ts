import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { deriveHmacKey, loadUrlSafePayload, unsign, unsignTimestamped } from './itsdangerous';
import { LEGACY_PYTHON } from '../../../test/support/legacy-python';

// Fixtures come from the real itsdangerous, with the timestamp pinned so age boundaries can be tested exactly.
const T = 1_700_000_000;
const fx = JSON.parse(
  execFileSync(LEGACY_PYTHON, [
    '-W',
    'ignore',
    '-c',
    `
import json
from itsdangerous import Signer, TimestampSigner, URLSafeSerializer
class Pinned(TimestampSigner):
    def get_timestamp(self):
        return ${T}
ts = Pinned('k', salt='cookie-session', key_derivation='hmac')
plain = Signer('k', salt='flask-session', key_derivation='hmac')
url = URLSafeSerializer('k')
print(json.dumps({
    'derived': ts.derive_key().hex(),
    'timed': ts.sign('hello').decode(),
    'plain': plain.sign('abc').decode(),
    'small': url.dump_payload({'x': 'y'}).decode(),
    'big': url.dump_payload({'x': 'y' * 500}).decode(),
}))
`,
  ]).toString(),
) as Record<string, string>;

const key = deriveHmacKey('k', 'cookie-session');
const sidKey = deriveHmacKey('k', 'flask-session');

test('hmac key derivation matches itsdangerous', () => {
  assert.equal(key.toString('hex'), fx.derived);
});

test('a plain Signer value verifies with the right key only', () => {
  assert.equal(unsign(fx.plain, [sidKey]), 'abc');
  assert.equal(unsign(fx.plain, [deriveHmacKey('other', 'flask-session')]), null);
  assert.equal(unsign(fx.plain, [deriveHmacKey('other', 'flask-session'), sidKey]), 'abc');
  assert.equal(unsign(fx.plain, [key]), null, 'another salt is another key');
  assert.equal(unsign(`abd${fx.plain.slice(3)}`, [sidKey]), null);
  assert.equal(unsign(`${fx.plain}=`, [sidKey]), null);
  assert.equal(unsign('abc', [sidKey]), null);
});

test('timestamp age: max age inclusive, future only within the skew', () => {
  const at = (nowS: number, skewS?: number) => unsignTimestamped(fx.timed, [key], { maxAgeS: 60, nowS, skewS });
  assert.equal(at(T), 'hello');
  assert.equal(at(T + 60), 'hello');
  assert.equal(at(T + 61), null);
  assert.equal(at(T - 30), 'hello');
  assert.equal(at(T - 31), null);
  assert.equal(at(T - 1, 0), null);
  assert.equal(unsignTimestamped(fx.timed, [sidKey], { maxAgeS: 60, nowS: T }), null);
});

test('url-safe payloads decode, compressed or not', () => {
  assert.ok(!fx.small.startsWith('.') && fx.big.startsWith('.'));
  assert.deepEqual(JSON.parse(loadUrlSafePayload(fx.small)!), { x: 'y' });
  assert.deepEqual(JSON.parse(loadUrlSafePayload(fx.big)!), { x: 'y'.repeat(500) });
});

test('bad payloads: not zlib, not UTF-8, not base64, a zlib bomb', () => {
  assert.equal(loadUrlSafePayload(`.${Buffer.from('not zlib').toString('base64url')}`), null);
  assert.equal(loadUrlSafePayload(Buffer.from([0xff, 0xfe]).toString('base64url')), null);
  assert.equal(loadUrlSafePayload('a+b/'), null);
  assert.equal(loadUrlSafePayload(`.${deflateSync(Buffer.alloc(4 * 1024 * 1024, 0x20)).toString('base64url')}`), null);
});
