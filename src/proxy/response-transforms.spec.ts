import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileTransforms, headFacts, type ResponseTransform } from './response-transforms';
import { buildClientHeaders } from './response-headers';

const raw = (...pairs: string[]) => pairs.map((p) => Buffer.from(p, 'latin1'));

test('head facts: the last content type, the coding normalised, every Vary joined, event streams told apart', () => {
  const f = headFacts(
    raw('Content-Type', 'text/plain', 'content-type', 'text/event-stream', 'Content-Encoding', ' GZIP ', 'Vary', 'a'),
  );
  assert.equal(f.contentType, 'text/event-stream');
  assert.equal(f.stream, true);
  assert.equal(f.coding, 'gzip');
  assert.equal(f.vary, 'a');
  assert.equal(headFacts(raw('vary', 'a', 'VARY', 'b')).vary, 'a, b');
  assert.deepEqual(headFacts([]), { stream: false });
});

test('a route with no transforms gets none; the others are sorted by hook, the first nonce maker kept', () => {
  assert.equal(compileTransforms([]), undefined);
  const a: ResponseTransform = { relay: () => {}, answer: () => {} };
  const b: ResponseTransform = { nonce: () => 'n1', stored: () => {} };
  const c: ResponseTransform = { nonce: () => 'n2', relay: () => {} };
  const t = compileTransforms([a, b, c])!;
  assert.deepEqual(t.relay, [a, c]);
  assert.deepEqual(t.stored, [b]);
  assert.deepEqual(t.answer, [a]);
  assert.equal(t.nonce?.(), 'n1');
});

test('several edits: each drops its fields, appends come last in edit order, after the gateway’s own', () => {
  const out = buildClientHeaders(raw('Server', 'x', 'ETag', '"1"', 'X-Up', 'u'), { 'x-request-id': 'r' }, [
    { drop: new Set(['server']), append: ['x-a', '1'] },
    { drop: new Set(['etag']), append: ['x-b', '2'] },
  ]);
  assert.deepEqual(out, ['X-Up', 'u', 'x-request-id', 'r', 'x-a', '1', 'x-b', '2']);
});
