import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { FlaskCookieReader } from './flask-cookie-reader';
import { LEGACY_PYTHON } from '../../../test/support/legacy-python';

const SECRET = 'legacy-secret';

// Cookies made by a real Flask 3.1 app. `at(offset)` shifts itsdangerous' clock to sign in the past or future.
const fx = JSON.parse(
  execFileSync(LEGACY_PYTHON, [
    '-W',
    'ignore',
    '-c',
    `
import datetime, json, os, sys, time, uuid
import itsdangerous.timed as timed
from flask import Flask, session
from markupsafe import Markup

def app_for(key, fallbacks=()):
    app = Flask('legacy')
    app.secret_key = key
    app.config['SECRET_KEY_FALLBACKS'] = list(fallbacks)
    return app

def dumps(app, data, offset=0):
    real = timed.TimestampSigner.get_timestamp
    timed.TimestampSigner.get_timestamp = lambda self: int(time.time()) + offset
    try:
        return app.session_interface.get_signing_serializer(app).dumps(data)
    finally:
        timed.TimestampSigner.get_timestamp = real

app = app_for(sys.argv[1])
rich = {
    'user_id': 42, 'roles': ('admin', 'dev'), 'avatar': b'\\x89PNG\\x00', '_permanent': True,
    'seen': datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
    'uid': uuid.UUID('12345678-1234-5678-1234-567812345678'), 'note': Markup('<b>hi</b>'),
}
chat = [{'role': 'user' if i % 2 == 0 else 'assistant', 'content': f'message {i} about the tavern'} for i in range(40)]

@app.route('/login')
def login():
    session['user_id'] = 7
    session['chat_history'] = chat
    return 'ok'

client = app.test_client()
client.get('/login')
oversized = dumps(app, {'user_id': 1, 'blob': os.urandom(7000)})
rotated = dumps(app_for('old-secret'), rich)
print(json.dumps({
    'rich': dumps(app, rich),
    'chat': dumps(app, {'user_id': 'u-7', 'chat_history': chat}),
    'viaRequest': client.get_cookie('session').value,
    'expired': dumps(app, rich, -7200),
    'future': dumps(app, rich, 3600),
    'slightlyAhead': dumps(app, rich, 5),
    'rotated': rotated,
    'pythonAcceptsRotated': app_for(sys.argv[1], ['old-secret']).session_interface.get_signing_serializer(app_for(sys.argv[1], ['old-secret'])).loads(rotated)['user_id'] == 42,
    'noUser': dumps(app, {'name': 'x'}),
    'bigUser': dumps(app, {'user_id': 2 ** 60}),
    'boolUser': dumps(app, {'user_id': True}),
    'listSession': dumps(app, [['user_id', 1]]),
    'oversized': oversized,
    'pythonAcceptsOversized': app.session_interface.get_signing_serializer(app).loads(oversized)['user_id'] == 1,
}))
`,
    SECRET,
  ]).toString(),
) as Record<string, string> & { pythonAcceptsRotated: boolean; pythonAcceptsOversized: boolean };

const reader = (opts: Partial<ConstructorParameters<typeof FlaskCookieReader>[0]> = {}) =>
  new FlaskCookieReader({ secretKey: SECRET, maxAgeS: 3600, userKey: 'user_id', ...opts });

test('a valid cookie yields the user and the decoded session', async () => {
  assert.equal(reader().mode, 'flask_cookie');
  const s = await reader().read(fx.rich);
  assert.deepEqual(s, {
    userId: '42',
    data: {
      user_id: 42,
      roles: ['admin', 'dev'],
      avatar: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0]),
      _permanent: true,
      seen: new Date('2024-01-02T03:04:05Z'),
      uid: '12345678-1234-5678-1234-567812345678',
      note: '<b>hi</b>',
    },
  });
});

test('a zlib-compressed session (long chat history) decodes, also when set by a real request', async () => {
  assert.ok(fx.chat.startsWith('.') && fx.viaRequest.startsWith('.'));
  const s = await reader().read(fx.chat);
  assert.equal(s?.userId, 'u-7');
  assert.equal((s?.data?.chat_history as unknown[]).length, 40);
  assert.deepEqual((s?.data?.chat_history as unknown[])[39], {
    role: 'assistant',
    content: 'message 39 about the tavern',
  });
  assert.equal((await reader().read(fx.viaRequest))?.userId, '7');
});

test('the user key is configurable', async () => {
  assert.equal(
    await reader({ userKey: 'uid' })
      .read(fx.rich)
      .then((s) => s?.userId),
    '12345678-1234-5678-1234-567812345678',
  );
  assert.equal(await reader({ userKey: 'nope' }).read(fx.rich), null);
  assert.equal(await reader().read(fx.noUser), null);
});

test('wrong secret or tampered payload -> null', async () => {
  assert.equal(await reader({ secretKey: 'other' }).read(fx.rich), null);
  const sigOf = (c: string) => c.slice(c.lastIndexOf('.'));
  const bodyOf = (c: string) => c.slice(0, c.lastIndexOf('.'));
  const flipped = fx.rich.slice(0, 10) + (fx.rich[10] === 'A' ? 'B' : 'A') + fx.rich.slice(11);
  assert.equal(await reader().read(flipped), null);
  assert.equal(await reader().read(bodyOf(fx.noUser) + sigOf(fx.rich)), null);
  assert.equal(await reader().read(bodyOf(fx.rich) + sigOf(fx.noUser)), null);
});

test('expired, or signed too far in the future -> null; a few seconds ahead is tolerated', async () => {
  assert.equal(await reader().read(fx.expired), null);
  assert.equal((await reader({ maxAgeS: 3 * 3600 }).read(fx.expired))?.userId, '42');
  assert.equal(await reader().read(fx.future), null);
  assert.equal((await reader().read(fx.slightlyAhead))?.userId, '42');
});

test('SECRET_KEY_FALLBACKS: a cookie signed with an old key is accepted only when listed', async () => {
  assert.equal(fx.pythonAcceptsRotated, true);
  assert.equal(await reader().read(fx.rotated), null);
  assert.equal((await reader({ fallbackSecretKeys: ['older', 'old-secret'] }).read(fx.rotated))?.userId, '42');
});

test('garbage, empty, and oversized values -> null', async () => {
  assert.equal(fx.pythonAcceptsOversized, true);
  assert.ok(fx.oversized.length > 8192);
  for (const v of [
    '',
    '.',
    '..',
    'a.b.c',
    'abc',
    '....',
    fx.rich + '.',
    ' ' + fx.rich,
    fx.oversized,
    'x'.repeat(9000),
  ]) {
    assert.equal(await reader().read(v), null, JSON.stringify(v.slice(0, 20)));
  }
  assert.equal(await reader().read(undefined as unknown as string), null);
});

test('user ids that Python and JS would print differently, and non-dict sessions -> null', async () => {
  assert.equal(await reader().read(fx.bigUser), null);
  assert.equal(await reader().read(fx.boolUser), null);
  assert.equal(await reader().read(fx.listSession), null);
});

test('misconfiguration fails at construction, not at read', () => {
  assert.throws(() => reader({ secretKey: '' }));
  assert.throws(() => reader({ maxAgeS: 0 }));
  assert.throws(() => reader({ fallbackSecretKeys: [''] }));
});
