import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import Redis from 'ioredis';
import { startRedis, type RedisServer } from '../../../test/support/redis';
import { FlaskRedisReader } from './flask-redis-reader';
import { LEGACY_PYTHON } from '../../../test/support/legacy-python';

const SECRET = 'legacy-secret';

// A real Flask 3.1 + Flask-Session 0.8 app (SESSION_TYPE=redis) logs in against our own redis-server.
const LEGACY_APP = `
import datetime, json, sys
import redis
from flask import Flask, session
from flask_session import Session

def login_cookie(use_signer):
    app = Flask('legacy')
    app.secret_key = sys.argv[1]
    app.config.update(SESSION_TYPE='redis', SESSION_REDIS=redis.Redis(port=int(sys.argv[2])), SESSION_USE_SIGNER=use_signer)
    Session(app)

    @app.route('/login')
    def login():
        session['user_id'] = 7
        session['chat_history'] = [{'role': 'user', 'content': 'hello', 'at_ms': 1700000000000}]
        session['tags'] = ('a', 'b')
        session['raw'] = b'\\x00\\x01'
        session['at'] = datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone.utc)
        session['big'] = 2 ** 60 + 1
        return 'ok'

    client = app.test_client()
    client.get('/login')
    return app, client.get_cookie('session').value

signed_app, signed = login_cookie(True)
_, plain = login_cookie(False)
print(json.dumps({
    'signed': signed,
    'plain': plain,
    'unknown': signed_app.session_interface._sign(signed_app, 'NoSuchSessionId'),
}))
`;

// Values as Flask-Session's MsgSpecSerializer writes them, for the stubbed store.
const VALUES = `
import json, msgspec, pickle
print(json.dumps({k: v.hex() for k, v in {
    'bigId': msgspec.msgpack.encode({'user_id': 2 ** 60 + 1}),
    'jsonFormat': msgspec.json.encode({'user_id': 'j-1', '_permanent': True}),
    'pickled': pickle.dumps({'user_id': 1}),
    'notDict': msgspec.msgpack.encode([1, 2]),
    'noUser': msgspec.msgpack.encode({'name': 'x'}),
}.items()}))
`;

const py = (script: string, ...args: string[]) =>
  JSON.parse(execFileSync(LEGACY_PYTHON, ['-W', 'ignore', '-c', script, ...args]).toString());

let redis: RedisServer;
let client: Redis;
let fx: { signed: string; plain: string; unknown: string };
const values = Object.fromEntries(
  Object.entries(py(VALUES) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'hex')]),
);

before(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 200 });
  await new Promise((resolve) => client.once('ready', resolve));
  fx = py(LEGACY_APP, SECRET, String(redis.port));
});

after(async () => {
  client.disconnect();
  await redis.stop();
});

const reader = (opts: Partial<ConstructorParameters<typeof FlaskRedisReader>[0]> = {}) =>
  new FlaskRedisReader({
    get: (k) => client.getBuffer(k),
    keyPrefix: 'session:',
    userKey: 'user_id',
    signerSecretKey: SECRET,
    ...opts,
  });
const stub = (value: Buffer | null) =>
  new FlaskRedisReader({ get: async () => value, keyPrefix: 'session:', userKey: 'user_id' });

test('a signed sid reads the msgpack session from Redis', async () => {
  assert.equal(reader().mode, 'flask_redis');
  const sid = fx.signed.slice(0, fx.signed.lastIndexOf('.'));
  assert.equal((await client.keys('session:*')).includes(`session:${sid}`), true);
  const s = await reader().read(fx.signed);
  assert.deepEqual(s, {
    userId: '7',
    data: {
      _permanent: true,
      user_id: 7,
      chat_history: [{ role: 'user', content: 'hello', at_ms: 1700000000000 }],
      tags: ['a', 'b'],
      raw: Buffer.from([0, 1]),
      at: new Date('2024-01-02T00:00:00Z'),
      big: 2n ** 60n + 1n,
    },
  });
});

test('without SESSION_USE_SIGNER the cookie is the bare sid', async () => {
  assert.equal((await reader({ signerSecretKey: undefined }).read(fx.plain))?.userId, '7');
  assert.equal(await reader().read(fx.plain), null, 'a signer-configured reader wants a signature');
  assert.equal(await reader({ signerSecretKey: undefined }).read(fx.signed), null);
});

test('unknown sid, wrong signature, other prefix -> null', async () => {
  assert.equal(await reader().read(fx.unknown), null);
  assert.equal(await reader({ signerSecretKey: 'other' }).read(fx.signed), null);
  const sid = fx.signed.slice(0, fx.signed.lastIndexOf('.'));
  assert.equal(await reader().read(`${sid}.${fx.unknown.slice(fx.unknown.lastIndexOf('.') + 1)}`), null);
  assert.equal(await reader({ keyPrefix: 'other:' }).read(fx.signed), null);
  for (const v of ['', '.', 'x'.repeat(9000), `${sid}*.x`]) assert.equal(await reader().read(v), null);
});

test('a store that throws or rejects, or Redis going down -> null', async () => {
  const boom = new FlaskRedisReader({
    get: () => Promise.reject(new Error('down')),
    keyPrefix: 'session:',
    userKey: 'user_id',
  });
  assert.equal(await boom.read('abc'), null);
  const sync = new FlaskRedisReader({
    get: () => {
      throw new Error('down');
    },
    keyPrefix: 'session:',
    userKey: 'user_id',
  });
  assert.equal(await sync.read('abc'), null);
  const lonely = await startRedis();
  const gone = new Redis(lonely.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 200 });
  await new Promise((resolve) => gone.once('ready', resolve));
  const closed = new Promise((resolve) => gone.once('close', resolve));
  await lonely.stop();
  await closed;
  const r = new FlaskRedisReader({ get: (k) => gone.getBuffer(k), keyPrefix: 'session:', userKey: 'user_id' });
  assert.equal(await r.read('abc'), null);
  gone.disconnect();
});

test('stored values: big ids stay exact, JSON format is read, pickle and non-dicts are not', async () => {
  assert.equal((await stub(values.bigId).read('abc'))?.userId, '1152921504606846977');
  assert.deepEqual(await stub(values.jsonFormat).read('abc'), {
    userId: 'j-1',
    data: { user_id: 'j-1', _permanent: true },
  });
  for (const v of [values.pickled, values.notDict, values.noUser, Buffer.alloc(0), Buffer.from('garbage'), null]) {
    assert.equal(await stub(v).read('abc'), null);
  }
});
