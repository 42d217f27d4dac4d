import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startLegacy, type LegacyApp } from '../support/legacy-flask';
import { legacyLogin } from '../support/legacy-login';
import { postSse } from '../support/sse-client';
import { TEST_JWT_SECRET, tokens } from '../support/tokens';

let legacy: LegacyApp;
const gateways: Record<string, RunningGateway> = {};

// introspect asks the legacy app for the history; flask_cookie reads it from the signed session cookie itself.
const MODES: Record<string, Record<string, string>> = {
  introspect: { LEGACY_SESSION_MODE: 'introspect' },
  flask_cookie: { LEGACY_SESSION_MODE: 'flask_cookie', LEGACY_SECRET_KEY: 'dev-legacy-secret' },
};

before(async () => {
  legacy = await startLegacy();
  for (const [mode, env] of Object.entries(MODES)) {
    gateways[mode] = await startGateway({
      LEGACY_URL: legacy.url,
      JWT_SECRET: TEST_JWT_SECRET,
      RATE_LIMIT: 'off',
      LLM_LOCAL_TOKEN_DELAY_MS: '0',
      ...env,
    });
  }
});
after(async () => {
  await Promise.all(Object.values(gateways).map((g) => g.stop()));
  await legacy?.stop();
});

const LEGACY_HISTORY = [
  { role: 'user', content: 'Hello, who are you tonight?' },
  { role: 'assistant', content: "I am the innkeeper of the Tavern at World's End." },
];

for (const mode of Object.keys(MODES)) {
  test(`${mode}: the history starts with the legacy session's, migrated once even when first requests race`, async () => {
    const url = gateways[mode].url;
    const cookie = await legacyLogin(url, 'bob', 'builder');
    const exchanged = await send(`${url}/api/v2/auth/token`, {
      method: 'POST',
      headers: { cookie, origin: url, host: new URL(url).host },
    });
    assert.equal(exchanged.status, 200, exchanged.body.toString());
    const headers = { authorization: `Bearer ${exchanged.json().access_token}`, cookie };
    const history = async () => {
      const res = await send(`${url}/api/v2/chat/history`, { headers });
      assert.equal(res.status, 200, res.body.toString());
      return res.json() as { messages: { role: string; content: string }[]; conversation_id: string };
    };

    // Five first reads at once: one record wins, nobody appends the legacy history a second time.
    const first = await Promise.all(Array.from({ length: 5 }, history));
    for (const h of first) assert.deepEqual(h.messages, LEGACY_HISTORY);
    assert.equal(new Set(first.map((h) => h.conversation_id)).size, 1, 'one conversation');

    const chat = await postSse(`${url}/api/v2/chat`, { headers, body: { message: 'Any news from the road?' } });
    assert.equal(chat.events.at(-1)?.event, 'done', chat.body);
    assert.equal(chat.events.at(-1)?.data.conversation_id, first[0].conversation_id);
    const afterChat = await history();
    assert.equal(afterChat.messages.length, 4);
    assert.deepEqual(afterChat.messages.slice(0, 2), LEGACY_HISTORY);
    assert.deepEqual(afterChat.messages[2], { role: 'user', content: 'Any news from the road?' });
    assert.equal(afterChat.messages[3].role, 'assistant');

    // The legacy session moves on (a chat on the legacy app itself); the v2 conversation is not migrated again.
    const legacyChat = await send(`${url}/api/chat`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ message: 'legacy only' }),
    });
    assert.equal(legacyChat.status, 200);
    const newCookie = (legacyChat.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
    const later = await send(`${url}/api/v2/chat/history`, { headers: { ...headers, cookie: newCookie || cookie } });
    assert.deepEqual(later.json().messages, afterChat.messages);
  });
}

test("another user's legacy cookie migrates nothing into the caller's conversation", async () => {
  const url = gateways.introspect.url;
  const cookie = await legacyLogin(url, 'alice', 'wonderland');
  const res = await send(`${url}/api/v2/chat/history`, {
    headers: { authorization: `Bearer ${tokens.valid({ sub: 'someone-else' })}`, cookie },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(res.json().messages, []);
});

test('the history needs authentication', async () => {
  const res = await send(`${gateways.introspect.url}/api/v2/chat/history`);
  assert.equal(res.status, 401);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
});
