import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encode, RECENT_MAX_BYTES, RECENT_MAX_KEYS, RecentDecodings, type StoredValue } from './cache-entry';

const response = (body: string): StoredValue => ({
  kind: 'response',
  policy: {} as never,
  status: 200,
  headers: { 'content-type': 'text/plain' },
  body: Buffer.from(body),
});
/** The same bytes in a Buffer of its own, as every read from Redis gives. */
const copy = (b: Buffer) => Buffer.from(b);

test('the same bytes read again as a new Buffer give the same decoded value; changed bytes a new one', () => {
  const recent = new RecentDecodings();
  const raw = encode(response('one'));
  const first = recent.decode('k', copy(raw));
  assert.equal(recent.decode('k', copy(raw)), first);
  const changed = recent.decode('k', copy(encode(response('two'))));
  assert.notEqual(changed, first);
  assert.equal(changed?.kind === 'response' && changed.body.toString(), 'two');
});

test('values over the size bound are decoded every time, not held', () => {
  const recent = new RecentDecodings();
  const raw = encode(response('x'.repeat(RECENT_MAX_BYTES)));
  assert.notEqual(recent.decode('big', copy(raw)), recent.decode('big', copy(raw)));
});

test('at most RECENT_MAX_KEYS keys are held: the oldest is forgotten first', () => {
  const recent = new RecentDecodings();
  const raw = encode(response('v'));
  const first = recent.decode('k0', copy(raw));
  for (let i = 1; i < RECENT_MAX_KEYS; i++) recent.decode(`k${i}`, copy(raw));
  assert.equal(recent.decode('k0', copy(raw)), first, 'still held at the bound');
  recent.decode('one-more', copy(raw));
  assert.notEqual(recent.decode('k0', copy(raw)), first);
});

test('bytes that are not an entry decode to null, and stay null', () => {
  const recent = new RecentDecodings();
  assert.equal(recent.decode('bad', Buffer.from([0, 0, 0, 9, 1, 2])), null);
  assert.equal(recent.decode('bad', Buffer.from([0, 0, 0, 9, 1, 2])), null);
});
