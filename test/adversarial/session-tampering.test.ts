import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { decode, encode } from '@msgpack/msgpack';
import Redis from 'ioredis';
import { routesFile, startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { rawExchange, send } from '../support/http';
import { startLegacy, type LegacyApp } from '../support/legacy-flask';
import { legacyLogin } from '../support/legacy-login';
import { flaskPayload, openFlaskCookie, signFlaskCookie } from '../support/flask-cookie';
import { startRecordingUpstream } from '../support/recording-upstream';
import { startRedis, type RedisServer } from '../support/redis';
import { TEST_JWT_SECRET } from '../support/tokens';

// Forged and tampered legacy sessions (OWASP WSTG-SESS-01/-03, the itsdangerous/Flask-Session formats). Sessions
// are made by the real Flask app (signed cookie, and Flask-Session in a real redis-server), then altered. The
// gateways forward to a recording upstream, so each case proves both what the client sees (401 problem) and that
// legacy never got the request, or, on an `auth: optional` route, got it without a gateway identity.

const LEGACY_SECRET = 'dev-legacy-secret';
let up: Awaited<ReturnType<typeof startRecordingUpstream>>;
let redis: RedisServer;
let kv: Redis;
let cookieLegacy: LegacyApp;
let redisLegacy: LegacyApp;
let viaCookie: RunningGateway;
let viaRedis: RunningGateway;
let aliceCookie: string;
let aliceSid: string;

const sessionOf = (cookieHeader: string) => /(?:^|; )session=([^;]*)/.exec(cookieHeader)![1];

before(async () => {
  [up, redis] = await Promise.all([startRecordingUpstream(), startRedis()]);
  [cookieLegacy, redisLegacy] = await Promise.all([
    startLegacy(),
    startLegacy({ SESSION_TYPE: 'redis', SESSION_REDIS_URL: redis.url }),
  ]);
  const routes = routesFile(`
routes:
  - { id: guarded, path: /api/v1/guarded/*, target: legacy, auth: required }
  - { id: open, path: /api/v1/open/*, target: legacy, auth: optional }
`);
  const base = {
    LEGACY_URL: up.url,
    ROUTES_FILE: routes,
    RATE_LIMIT: 'off',
    JWT_SECRET: TEST_JWT_SECRET,
    FALLBACK_AUTH: 'legacy_session',
  };
  [viaCookie, viaRedis] = await Promise.all([
    startGateway({ ...base, LEGACY_SESSION_MODE: 'flask_cookie', LEGACY_SECRET_KEY: LEGACY_SECRET }),
    startGateway({ ...base, LEGACY_SESSION_MODE: 'flask_redis', LEGACY_SESSION_REDIS_URL: redis.url }),
  ]);
  await Promise.all([waitReady(viaCookie), waitReady(viaRedis)]);
  aliceCookie = sessionOf(await legacyLogin(cookieLegacy.url));
  aliceSid = sessionOf(await legacyLogin(redisLegacy.url));
  kv = new Redis(redis.url, { maxRetriesPerRequest: 1 });
});
after(async () => {
  kv?.disconnect();
  await Promise.all([viaCookie?.stop(), viaRedis?.stop()]);
  await Promise.all([cookieLegacy?.stop(), redisLegacy?.stop()]);
  await Promise.all([up?.close(), redis?.stop()]);
});

/** The forged session: 401 session_invalid on a required route with nothing forwarded, and no identity on an optional one. */
async function refused(gw: RunningGateway, value: string, why: string) {
  up.received.length = 0;
  const res = await send(`${gw.url}/api/v1/guarded/x`, { headers: { cookie: `session=${value}` } });
  assert.equal(res.status, 401, `${why}: ${res.body}`);
  assert.match(String(res.headers['content-type']), /application\/problem\+json/);
  assert.equal(res.json().reason, 'session_invalid', why);
  assert.equal(up.received.length, 0, `${why}: legacy never saw the request`);
  const open = await send(`${gw.url}/api/v1/open/x`, { headers: { cookie: `session=${value}` } });
  assert.equal(open.status, 200, why);
  assert.equal(up.received.length, 1);
  assert.equal(up.received[0].fields.get('x-figway-user-id'), undefined, `${why}: no identity was asserted to legacy`);
  assert.equal(up.received[0].fields.get('x-figway-auth-method'), undefined, why);
}

async function accepted(gw: RunningGateway, value: string): Promise<string[] | undefined> {
  up.received.length = 0;
  const res = await send(`${gw.url}/api/v1/guarded/x`, { headers: { cookie: `session=${value}` } });
  assert.equal(res.status, 200, res.body.toString());
  return up.received[0].fields.get('x-figway-user-id');
}

test('baseline: the real Flask cookie and a cookie forged here with the real key both prove their user', async () => {
  assert.deepEqual(await accepted(viaCookie, aliceCookie), ['1']);
  assert.deepEqual(await accepted(viaCookie, signFlaskCookie(flaskPayload({ user_id: 2 }), LEGACY_SECRET)), ['2']);
});

test('flask_cookie: a changed payload under the old signature is refused', async () => {
  const { payload, ts, sig, data } = openFlaskCookie(aliceCookie);
  const bob = flaskPayload({ ...data, user_id: 2 }, payload.startsWith('.'));
  await refused(viaCookie, `${bob}.${ts}.${sig}`, 'user_id swapped');
  await refused(viaCookie, `${flaskPayload({ user_id: 2 })}.${ts}.${sig}`, 'payload replaced');
  // A later timestamp under the old signature: extending a session's life is tampering too.
  const later = signFlaskCookie(payload, 'x', Math.floor(Date.now() / 1000) + 10)
    .split('.')
    .at(-2);
  await refused(viaCookie, `${payload}.${later}.${sig}`, 'timestamp changed');
  await refused(viaCookie, `${payload}.${ts}.${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`, 'signature altered');
});

test('flask_cookie: a stripped or emptied signature is refused', async () => {
  const { payload, ts } = openFlaskCookie(aliceCookie);
  await refused(viaCookie, `${payload}.${ts}`, 'no signature part');
  await refused(viaCookie, `${payload}.${ts}.`, 'empty signature');
  await refused(viaCookie, payload, 'payload alone');
  await refused(viaCookie, `${flaskPayload({ user_id: 1 })}`, 'unsigned JSON');
});

test('flask_cookie: a cookie signed with another key is refused, however plausible the key', async () => {
  for (const key of ['dev', 'secret', 'changeme', `${LEGACY_SECRET} `, LEGACY_SECRET.toUpperCase()]) {
    await refused(viaCookie, signFlaskCookie(flaskPayload({ user_id: 1 }), key), `signed with ${JSON.stringify(key)}`);
  }
});

test('flask_cookie: past LEGACY_SESSION_MAX_AGE_S (31 days) or signed in the future, a valid signature is refused', async () => {
  const now = Math.floor(Date.now() / 1000);
  const p = flaskPayload({ user_id: 1 });
  await refused(viaCookie, signFlaskCookie(p, LEGACY_SECRET, now - 31 * 86_400 - 60), 'expired by a minute');
  await refused(viaCookie, signFlaskCookie(p, LEGACY_SECRET, 1), 'signed in 1970');
  await refused(viaCookie, signFlaskCookie(p, LEGACY_SECRET, now + 86_400), 'signed a day ahead');
  await refused(viaCookie, signFlaskCookie(p, LEGACY_SECRET, 2 ** 40), 'a far-future timestamp');
  assert.deepEqual(
    await accepted(viaCookie, signFlaskCookie(p, LEGACY_SECRET, now - 31 * 86_400 + 60)),
    ['1'],
    'inside the lifetime',
  );
});

test('flask_cookie: truncated, garbage and non-base64 values are refused', async () => {
  const { payload, ts, sig } = openFlaskCookie(aliceCookie);
  const signedNonsense = (s: string) => signFlaskCookie(Buffer.from(s).toString('base64url'), LEGACY_SECRET);
  const cases: [string, string][] = [
    [aliceCookie.slice(0, -1), 'last character cut'],
    [aliceCookie.slice(0, aliceCookie.length >> 1), 'cut in half'],
    [`${payload.slice(0, -3)}.${ts}.${sig}`, 'payload cut'],
    [`${payload}!.${ts}.${sig}`, 'non-base64 character'],
    [`${payload}=.${ts}.${sig}`, 'padding'],
    ['....', 'dots only'],
    ['%00%0d%0a', 'escaped control bytes'],
    [randomBytes(600).toString('base64url'), 'random base64'],
    [signedNonsense('{"user_id": 1'), 'validly signed, truncated JSON'],
    [signedNonsense('[["user_id", 1]]'), 'validly signed, not an object'],
    [signFlaskCookie(`.${randomBytes(64).toString('base64url')}`, LEGACY_SECRET), 'validly signed, "." but not zlib'],
    [signFlaskCookie(flaskPayload({ user_id: 1.5 }), LEGACY_SECRET), 'validly signed, a float id'],
    [signFlaskCookie(flaskPayload({ user_id: true }), LEGACY_SECRET), 'validly signed, a boolean id'],
    [signFlaskCookie(flaskPayload({ user_id: 2 ** 60 }), LEGACY_SECRET), 'validly signed, an id past 2^53'],
  ];
  for (const [value, why] of cases) await refused(viaCookie, value, why);
});

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

test('flask_cookie: a zlib bomb in the payload neither hangs the gateway nor blows its memory', async () => {
  // ~5 MiB of spaces deflate to ~5 KiB: a cookie that fits the head yet would inflate 1000x.
  const bomb = (inner: Buffer) => `.${deflateSync(inner, { level: 9 }).toString('base64url')}`;
  const spaces = bomb(Buffer.alloc(5 * 1024 * 1024, 0x20));
  // A legit prefix so a streaming decoder would have something to work with before the flood.
  const padded = bomb(
    Buffer.concat([Buffer.from('{"user_id": 1, "x": "'), Buffer.alloc(5 * 1024 * 1024, 0x61), Buffer.from('"}')]),
  );
  // Deep nesting within the inflate cap: a recursive decoder would overflow its stack.
  const deep = bomb(Buffer.from(`{"user_id": 1, "x": ${'['.repeat(500_000)}${']'.repeat(500_000)}}`));
  const values = [
    `${spaces}.AAAA.${'A'.repeat(27)}`, // forged signature: never inflated
    signFlaskCookie(spaces, LEGACY_SECRET), // signed with the real key (a leaked key, a hostile legacy): inflate is capped
    signFlaskCookie(padded, LEGACY_SECRET),
    signFlaskCookie(deep, LEGACY_SECRET),
  ];
  for (const v of values) assert.ok(v.length < 8_000, `the bomb fits a cookie (${v.length})`);
  const pid = viaCookie.child.proc.pid!;
  const before = rssMiB(pid);
  const started = Date.now();
  for (let round = 0; round < 5; round++) {
    const answers = await Promise.all(
      values.flatMap((v) =>
        Array.from({ length: 5 }, () =>
          send(`${viaCookie.url}/api/v2/me`, { headers: { cookie: `session=${v}` }, timeoutMs: 10_000 }),
        ),
      ),
    );
    for (const a of answers) assert.equal(a.status, 401, a.body.toString());
  }
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 5_000, `100 bombs answered in ${elapsed} ms`);
  const grown = rssMiB(pid) - before;
  assert.ok(grown < 100, `RSS grew ${grown.toFixed(0)} MiB`);
  for (const v of values) await refused(viaCookie, v, 'bomb');
  assert.equal((await send(`${viaCookie.url}/health`)).status, 200);
});

// --- Flask-Session in Redis --------------------------------------------------------------------------------------

test('baseline: the sid the real Flask-Session app set proves its user', async () => {
  assert.match(aliceSid, /^[A-Za-z0-9_-]{20,}$/);
  assert.deepEqual(await accepted(viaRedis, aliceSid), ['1']);
});

test('flask_redis: a session id that does not exist is refused', async () => {
  await refused(viaRedis, randomBytes(32).toString('base64url'), 'random sid');
  await refused(viaRedis, aliceSid.slice(0, -1), 'sid one character short');
  await refused(viaRedis, `${aliceSid}x`, 'sid with a character more');
});

test('flask_redis: glob and key-injection characters are refused even when such a key exists', async () => {
  // Planted under the literal keys, so a reader that used KEYS/SCAN, or GET on whatever the cookie says, would pass.
  const record = await kv.getBuffer(`session:${aliceSid}`);
  assert.ok(record, 'the real Flask-Session record is where the reader looks');
  const hostile = [
    '*',
    '?',
    '[a-z]*',
    `${aliceSid.slice(0, 4)}*`,
    '..',
    '../session',
    `..%2f${aliceSid}`,
    'session:*',
    `${aliceSid}\\`,
  ];
  for (const sid of hostile) await kv.set(`session:${sid}`, record);
  for (const sid of hostile) await refused(viaRedis, sid, `sid ${JSON.stringify(sid)}`);
  await refused(viaRedis, 'a'.repeat(9_000), 'a 9,000-character sid');
  await kv.set(`session:${'b'.repeat(7_000)}`, record);
  assert.deepEqual(await accepted(viaRedis, 'b'.repeat(7_000)), ['1'], 'a long id of sid characters is only a lookup');
  await kv.del(`session:${'b'.repeat(7_000)}`);
});

test('flask_redis: CR LF in the cookie cannot smuggle a Redis command or a header', async () => {
  const keys = await kv.dbsize();
  for (const tail of ['\r\n*1\r\n$8\r\nFLUSHALL\r\n', '\r\nX-Figway-User-Id: 1\r\n', '\rFLUSHALL', '\nFLUSHALL']) {
    up.received.length = 0;
    const answer = await rawExchange(
      viaRedis.port,
      `GET /api/v1/guarded/x HTTP/1.1\r\nHost: x\r\nCookie: session=${aliceSid.slice(0, 8)}${tail}\r\n\r\n`,
      300,
    );
    assert.match(answer, /^HTTP\/1\.1 (400|401) /, JSON.stringify(tail));
    assert.equal(up.received.length, 0);
  }
  assert.equal(await kv.dbsize(), keys, 'nothing was written or flushed');
  await refused(viaRedis, `${aliceSid}%0d%0aFLUSHALL`, 'percent-encoded CR LF');
});

test('flask_redis: a real record without the user key, or with an unusable id, is refused', async () => {
  const data = decode((await kv.getBuffer(`session:${aliceSid}`)) as Buffer) as Record<string, unknown>;
  assert.equal(data.user_id, 1);
  const variants: [Record<string, unknown>, string][] = [
    [Object.fromEntries(Object.entries(data).filter(([k]) => k !== 'user_id')), 'no user_id (a signed-out session)'],
    [{ ...data, user_id: null }, 'user_id null'],
    [{ ...data, user_id: '' }, 'user_id empty'],
    [{ ...data, user_id: 1.5 }, 'user_id a float'],
    [{ ...data, user_id: [1] }, 'user_id a list'],
    [{ ...data, user_id: { id: 1 } }, 'user_id a map'],
  ];
  for (const [session, why] of variants) {
    const sid = randomBytes(32).toString('base64url');
    await kv.set(`session:${sid}`, Buffer.from(encode(session)));
    await refused(viaRedis, sid, why);
  }
  const wrongType = randomBytes(32).toString('base64url');
  await kv.hset(`session:${wrongType}`, 'user_id', '1');
  await refused(viaRedis, wrongType, 'a hash where a string was expected (WRONGTYPE)');
  assert.equal((await send(`${viaRedis.url}/health`)).status, 200);
});

test('flask_redis: a legacy logout ends the session for the gateway at once', async () => {
  const cookie = await legacyLogin(redisLegacy.url, 'bob', 'builder');
  const sid = sessionOf(cookie);
  assert.deepEqual(await accepted(viaRedis, sid), ['2']);
  assert.equal((await send(`${redisLegacy.url}/api/v1/logout`, { method: 'POST', headers: { cookie } })).status, 200);
  await refused(viaRedis, sid, 'signed out');
});
