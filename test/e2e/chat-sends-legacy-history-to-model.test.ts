import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai';
import { send } from '../support/http';
import { legacyLogin } from '../support/legacy-login';
import { postSse, textOf } from '../support/sse-client';
import { startStack, type Stack } from '../support/stack';
import { TEST_JWT_SECRET } from '../support/tokens';

let fake: FakeOpenAi;
let stack: Stack;

before(async () => {
  fake = await startFakeOpenAi();
  stack = await startStack({
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT: 'off',
    LLM_PROVIDER: 'openai',
    OPENAI_BASE_URL: fake.baseUrl,
    OPENAI_API_KEY: 'primary',
  });
});
after(async () => {
  await stack?.stop();
  await fake?.close();
});

const LEGACY_HISTORY = [
  { role: 'user', content: 'Hello, who are you tonight?' },
  { role: 'assistant', content: "I am the innkeeper of the Tavern at World's End." },
];

test("a user signed in to the legacy app continues the legacy conversation: its history is in the model's request", async () => {
  const url = stack.gateway.url;
  const cookie = await legacyLogin(url);
  const exchanged = await send(`${url}/api/v2/auth/token`, {
    method: 'POST',
    headers: { cookie, origin: url, host: new URL(url).host },
  });
  assert.equal(exchanged.status, 200, exchanged.body.toString());
  const token = exchanged.json().access_token as string;

  fake.behave({ chunks: ['Welcome', ' back.'] });
  // As a browser on the same origin would: the bearer token, and the legacy cookie that travels along.
  const res = await postSse(`${url}/api/v2/chat`, {
    headers: { authorization: `Bearer ${token}`, cookie },
    body: { message: 'A room for the night, please.' },
  });
  assert.equal(res.events.at(-1)?.event, 'done', res.body);
  assert.equal(textOf(res), 'Welcome back.');

  assert.equal(fake.requests.length, 1);
  assert.deepEqual(fake.requests[0].body.messages, [
    ...LEGACY_HISTORY,
    { role: 'user', content: 'A room for the night, please.' },
  ]);
});
