import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startLegacy, type LegacyApp } from '../support/legacy-flask';
import { legacyLogin } from '../support/legacy-login';
import { startRedis, type RedisServer } from '../support/redis';
import { TEST_JWT_SECRET } from '../support/tokens';
import { waitFor } from '../support/wait';

let cookieLegacy: LegacyApp;
let redisLegacy: LegacyApp;
let sessions: RedisServer;
const gw: Record<string, RunningGateway> = {};

before(async () => {
  sessions = await startRedis();
  [cookieLegacy, redisLegacy] = await Promise.all([
    startLegacy(),
    startLegacy({ SESSION_TYPE: 'redis', SESSION_REDIS_URL: sessions.url }),
  ]);
  const base = { JWT_SECRET: TEST_JWT_SECRET, RATE_LIMIT: 'off', FALLBACK_AUTH: 'legacy_session' };
  [gw.flask_cookie, gw.flask_redis, gw.introspect] = await Promise.all([
    startGateway({
      ...base,
      LEGACY_URL: cookieLegacy.url,
      LEGACY_SESSION_MODE: 'flask_cookie',
      LEGACY_SECRET_KEY: 'dev-legacy-secret',
    }),
    startGateway({
      ...base,
      LEGACY_URL: redisLegacy.url,
      LEGACY_SESSION_MODE: 'flask_redis',
      LEGACY_SESSION_REDIS_URL: sessions.url,
    }),
    startGateway({ ...base, LEGACY_URL: redisLegacy.url, LEGACY_SESSION_MODE: 'introspect' }),
  ]);
  await Promise.all(Object.values(gw).map((g) => waitReady(g)));
});
after(async () => {
  await Promise.all(Object.values(gw).map((g) => g.stop()));
  await Promise.all([cookieLegacy?.stop(), redisLegacy?.stop()]);
  await sessions?.stop();
});

const me = (g: RunningGateway, cookie: string) => send(`${g.url}/api/v2/me`, { headers: { cookie } });

for (const mode of ['flask_cookie', 'flask_redis', 'introspect']) {
  test(`${mode}: a session made by the real Flask app through the gateway proves the user`, async () => {
    const cookie = await legacyLogin(gw[mode].url, 'bob', 'builder');
    const res = await me(gw[mode], cookie);
    assert.equal(res.status, 200, res.body.toString());
    assert.deepEqual([res.json().user_id, res.json().method], ['2', 'legacy_session']);
  });

  test(`${mode}: a forged session cookie is refused`, async () => {
    const res = await me(gw[mode], 'session=eyJ1c2VyX2lkIjoxfQ.Zm9yZ2Vk.c2lnbmF0dXJl');
    assert.equal(res.status, 401);
    assert.equal(res.json().reason, 'session_invalid');
  });
}

test('flask_redis: a legacy logout is seen at once (the server-side session is gone)', async () => {
  const cookie = await legacyLogin(gw.flask_redis.url);
  assert.equal((await me(gw.flask_redis, cookie)).status, 200);
  assert.equal(
    (await send(`${gw.flask_redis.url}/api/v1/logout`, { method: 'POST', headers: { cookie } })).status,
    200,
  );
  assert.equal((await me(gw.flask_redis, cookie)).status, 401);
});

test('introspect: a legacy logout is seen within seconds (answers are cached 5 s)', async () => {
  const cookie = await legacyLogin(gw.introspect.url);
  assert.equal((await me(gw.introspect, cookie)).status, 200);
  await send(`${gw.introspect.url}/api/v1/logout`, { method: 'POST', headers: { cookie } });
  await waitFor(async () => (await me(gw.introspect, cookie)).status === 401, 8_000, {
    what: 'the logout to be seen (401)',
    stepMs: 500,
  });
});
