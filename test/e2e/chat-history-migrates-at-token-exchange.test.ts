import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startLegacy, type LegacyApp } from '../support/legacy-flask';
import { legacyLogin } from '../support/legacy-login';
import { startRedis, type RedisServer } from '../support/redis';
import { TEST_JWT_SECRET } from '../support/tokens';

// A client that exchanges its legacy cookie for tokens and then sends only the bearer token never shows the cookie
// to the chat again: its legacy history is migrated at the exchange, the moment the session is proven.

let legacy: LegacyApp;
let redis: RedisServer;
let gw: RunningGateway;

before(async () => {
  [legacy, redis] = await Promise.all([startLegacy(), startRedis()]);
  gw = await startGateway({
    LEGACY_URL: legacy.url,
    REDIS_URL: redis.url,
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT: 'off',
    LLM_LOCAL_TOKEN_DELAY_MS: '0',
  });
  await waitReady(gw);
});
after(async () => {
  await gw?.stop();
  await Promise.all([legacy?.stop(), redis?.stop()]);
});

type Messages = { role: string; content: string }[];

/** Signs in at Flask and chats there once: the session (the cookie) then holds a history of its own. */
async function legacyUserWithHistory(
  username: string,
  password: string,
  message: string,
): Promise<{ cookie: string; history: Messages }> {
  const login = await legacyLogin(legacy.url, username, password);
  const chat = await send(`${legacy.url}/api/chat`, {
    method: 'POST',
    headers: { cookie: login, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ message }),
  });
  assert.equal(chat.status, 200, chat.body.toString());
  const cookie = (chat.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
  const history = (await send(`${legacy.url}/api/chat/history`, { headers: { cookie } })).json().messages as Messages;
  assert.deepEqual(history.at(-2), { role: 'user', content: message });
  return { cookie, history };
}

/** As curl would: the cookie and nothing else. */
async function exchange(cookie: string): Promise<string> {
  const res = await send(`${gw.url}/api/v2/auth/token`, { method: 'POST', headers: { cookie } });
  assert.equal(res.status, 200, res.body.toString());
  return res.json().access_token;
}

async function v2History(
  token: string,
  extra: Record<string, string> = {},
): Promise<{ messages: Messages; conversation_id: string }> {
  const res = await send(`${gw.url}/api/v2/chat/history`, { headers: { authorization: `Bearer ${token}`, ...extra } });
  assert.equal(res.status, 200, res.body.toString());
  return res.json();
}

test('the legacy history is there for a bearer-only client after the exchange, migrated once', async () => {
  const alice = await legacyUserWithHistory('alice', 'wonderland', 'Remember the blue door.');
  // Three first exchanges at once: one conversation record wins, the history is not appended twice.
  const tokens = await Promise.all([1, 2, 3].map(() => exchange(alice.cookie)));
  const first = await v2History(tokens[0]);
  assert.deepEqual(first.messages, alice.history);
  for (const t of tokens.slice(1)) assert.deepEqual(await v2History(t), first);

  const chat = await send(`${gw.url}/api/v2/chat`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens[0]}`, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ message: 'Which door?' }),
  });
  assert.equal(chat.status, 200, chat.body.toString());
  assert.equal(chat.json().conversation_id, first.conversation_id);
  const afterChat = await v2History(tokens[0]);
  assert.equal(afterChat.messages.length, alice.history.length + 2);

  // A later exchange of the same session finds the conversation and leaves it as it is.
  const again = await exchange(alice.cookie);
  assert.deepEqual(await v2History(again), afterChat);
});

test("another user's exchange and token never see the history", async () => {
  const alice = await legacyUserWithHistory('alice', 'wonderland', 'A secret for alice only.');
  const aliceToken = await exchange(alice.cookie);
  // Alice's conversation holds her legacy messages (migrated here, or by the test above when run with it).
  const aliceOnly = /blue door|alice only/;
  assert.ok((await v2History(aliceToken)).messages.some((m) => aliceOnly.test(m.content)));

  const bob = await legacyUserWithHistory('bob', 'builder', 'Can we fix it?');
  const bobToken = await exchange(bob.cookie);
  const bobs = await v2History(bobToken);
  assert.deepEqual(bobs.messages, bob.history, "Bob's own legacy history");
  assert.ok(!bobs.messages.some((m) => aliceOnly.test(m.content)));
  // Bob's token with Alice's cookie: still only Bob's conversation, nothing of hers migrated into it.
  assert.deepEqual(await v2History(bobToken, { cookie: alice.cookie }), bobs);
});
