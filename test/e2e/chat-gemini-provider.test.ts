import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bearer, metric } from '../support/chat';
import { startFakeGemini } from '../support/fake-gemini';
import { startGateway, type RunningGateway } from '../support/gateway';
import { postSse, textOf } from '../support/sse-client';
import { TEST_JWT_SECRET } from '../support/tokens';

let fake: Awaited<ReturnType<typeof startFakeGemini>>;
let gw: RunningGateway;
before(async () => {
  fake = await startFakeGemini();
  gw = await startGateway({
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT: 'off',
    CACHE_ENABLED: 'false',
    LEGACY_URL: 'http://127.0.0.1:9',
    LLM_PROVIDER: 'gemini',
    GOOGLE_BASE_URL: fake.baseUrl,
    GOOGLE_API_KEY: 'g-primary',
    GOOGLE_API_KEY_FALLBACK: 'g-fallback',
  });
});
after(async () => {
  await gw?.stop();
  await fake?.close();
});

test('LLM_PROVIDER=gemini streams through @google/genai, with the history as contents and the assistant as "model"', async () => {
  fake.behave({ chunks: ['Gemini', ' says', ' hi.'], delayMs: 100 });
  const first = await postSse(`${gw.url}/api/v2/chat`, { headers: bearer('gem'), body: { message: 'Hi Gemini' } });
  assert.equal(textOf(first), 'Gemini says hi.');
  assert.equal(first.events.filter((e) => e.event === 'delta').length, 3);
  assert.equal(first.events.at(-1)?.event, 'done');
  assert.equal(first.events.at(-1)?.data.model, 'gemini-2.5-flash');
  assert.deepEqual(first.events.at(-1)?.data.usage, { prompt_tokens: 5, completion_tokens: 3 });
  assert.match(fake.calls[0].path, /^\/v1beta\/models\/gemini-2\.5-flash:streamGenerateContent/);
  assert.equal(fake.calls[0].key, 'g-primary');

  await postSse(`${gw.url}/api/v2/chat`, { headers: bearer('gem'), body: { message: 'Again', model: 'pro' } });
  assert.match(fake.calls[1].path, /gemini-2\.5-pro/);
  assert.deepEqual(
    fake.calls[1].body.contents.map((c) => [c.role, c.parts[0].text]),
    [
      ['user', 'Hi Gemini'],
      ['model', 'Gemini says hi.'],
      ['user', 'Again'],
    ],
  );
});

test('GOOGLE_API_KEY_FALLBACK takes over on 429, without the SDK retrying', async () => {
  fake.calls.length = 0;
  fake.behave({ statusForKey: { 'g-primary': 429 } });
  const res = await postSse(`${gw.url}/api/v2/chat`, { headers: bearer('gem-2'), body: { message: 'Busy?' } });
  assert.equal(res.events.at(-1)?.event, 'done', res.body);
  assert.deepEqual(
    fake.calls.map((c) => c.key),
    ['g-primary', 'g-fallback'],
  );
  assert.equal(await metric(gw, 'gateway_chat_key_fallbacks_total', { provider: 'gemini' }), 1);

  fake.calls.length = 0;
  fake.behave({ statusForKey: { 'g-primary': 429, 'g-fallback': 503 } });
  const degraded = await postSse(`${gw.url}/api/v2/chat`, {
    headers: bearer('gem-3'),
    body: { message: 'Still busy?' },
  });
  assert.deepEqual(
    degraded.events.map((e) => [e.event, e.data.code]),
    [['error', 'LLM_UNAVAILABLE']],
  );
  assert.equal(fake.calls.length, 2);
});
