import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { parseFlaskTaggedJson } from './flask-tagged-json';
import { LEGACY_PYTHON } from '../../../test/support/legacy-python';

// Each case is serialised by Flask's own TaggedJSONSerializer.
const fx = JSON.parse(
  execFileSync(LEGACY_PYTHON, [
    '-W',
    'ignore',
    '-c',
    `
import datetime, json, uuid
from flask.json.tag import TaggedJSONSerializer
from markupsafe import Markup
s = TaggedJSONSerializer()
print(json.dumps({k: s.dumps(v) for k, v in {
    'tuple': (1, (2, b'x')),
    'bytes': b'\\x00\\xffhi',
    'uuid': uuid.UUID('12345678-1234-5678-1234-567812345678'),
    'date': datetime.datetime(2024, 1, 2, 3, 4, 5, 678, tzinfo=datetime.timezone.utc),
    'naive': datetime.datetime(2024, 1, 2),
    'markup': Markup('<b>hi</b>'),
    'tagKey': {' t': 'not a tuple'},
    'tagKeyNested': {' di': {' b': 1}},
    'plain': {'a': [1, {'b': None}], 'c': True},
}.items()}))
`,
  ]).toString(),
) as Record<string, string>;

test('tuples become arrays, bytes Buffers, recursively', () => {
  assert.deepEqual(parseFlaskTaggedJson(fx.tuple), [1, [2, Buffer.from('x')]]);
  assert.deepEqual(parseFlaskTaggedJson(fx.bytes), Buffer.from([0, 0xff, 0x68, 0x69]));
});

test('uuid, http date (second precision, UTC), markup', () => {
  assert.equal(parseFlaskTaggedJson(fx.uuid), '12345678-1234-5678-1234-567812345678');
  assert.deepEqual(parseFlaskTaggedJson(fx.date), new Date('2024-01-02T03:04:05Z'));
  assert.deepEqual(parseFlaskTaggedJson(fx.naive), new Date('2024-01-02T00:00:00Z'));
  assert.equal(parseFlaskTaggedJson(fx.markup), '<b>hi</b>');
});

test('a user dict whose only key is a tag survives (the " di" tag)', () => {
  assert.deepEqual(parseFlaskTaggedJson(fx.tagKey), { ' t': 'not a tuple' });
  assert.deepEqual(parseFlaskTaggedJson(fx.tagKeyNested), { ' di': { ' b': 1 } });
  assert.deepEqual(parseFlaskTaggedJson(fx.plain), { a: [1, { b: null }], c: true });
});

test('unknown tags stay objects; malformed tagged values and JSON throw', () => {
  assert.deepEqual(parseFlaskTaggedJson('{" od":[1]}'), { ' od': [1] });
  assert.equal(parseFlaskTaggedJson('{" d":"garbage"}'), null);
  assert.throws(() => parseFlaskTaggedJson('{" u":"xyz"}'));
  assert.throws(() => parseFlaskTaggedJson('{" b":"!!"}'));
  assert.throws(() => parseFlaskTaggedJson('{" t":"ab"}'));
  assert.throws(() => parseFlaskTaggedJson('{" di":[1]}'));
  assert.throws(() => parseFlaskTaggedJson('NaN'));
});

test('a "__proto__" key stays data', () => {
  const v = parseFlaskTaggedJson('{"__proto__":{"polluted":1},"a":1}') as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.deepEqual(Object.keys(v), ['__proto__', 'a']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('nesting Python could not load (its recursion limit) throws before parsing; strings do not count', () => {
  const nest = (d: number) => `{"user_id": 1, "x": ${'['.repeat(d)}${']'.repeat(d)}}`;
  assert.deepEqual((parseFlaskTaggedJson(nest(980)) as { user_id: number }).user_id, 1);
  assert.throws(() => parseFlaskTaggedJson(nest(1_000)), RangeError);
  assert.throws(() => parseFlaskTaggedJson(nest(500_000)), RangeError);
  const quoted = JSON.stringify({ user_id: 1, note: '['.repeat(5_000) + '\\"[' });
  assert.equal((parseFlaskTaggedJson(quoted) as { user_id: number }).user_id, 1);
});
