import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bearer, startChatGateway } from '../support/chat';
import { startFakeGemini } from '../support/fake-gemini';
import { startGateway, type RunningGateway } from '../support/gateway';
import { postSse, textOf, type SseResult } from '../support/sse-client';
import { TEST_JWT_SECRET } from '../support/tokens';

// A model stream that ends cleanly but without a finish reason (no final chunk, no [DONE]) is a reply cut short:
// it must reach the client as an error, and be neither saved to the conversation nor kept in the AI cache.

let openai: Awaited<ReturnType<typeof startChatGateway>>;
let gemini: Awaited<ReturnType<typeof startFakeGemini>>;
let geminiGw: RunningGateway;
before(async () => {
  gemini = await startFakeGemini();
  [openai, geminiGw] = await Promise.all([
    startChatGateway(),
    startGateway({
      JWT_SECRET: TEST_JWT_SECRET,
      RATE_LIMIT: 'off',
      LEGACY_URL: 'http://127.0.0.1:9',
      LLM_PROVIDER: 'gemini',
      GOOGLE_BASE_URL: gemini.baseUrl,
      GOOGLE_API_KEY: 'g-primary',
    }),
  ]);
});
after(async () => {
  await Promise.all([openai?.stop(), geminiGw?.stop()]);
  await gemini?.close();
});

function assertCutShort(res: SseResult): void {
  assert.equal(textOf(res), 'One two', 'what the model said was delivered');
  assert.deepEqual(
    res.events.map((e) => e.event),
    ['delta', 'delta', 'error'],
    res.body,
  );
  assert.equal(res.events.at(-1)!.data.code, 'LLM_FAILED');
  assert.equal(res.events.at(-1)!.data.status, 502);
}

async function savedMessages(url: string, user: string): Promise<unknown[]> {
  const history = await fetch(`${url}/api/v2/chat/history`, { headers: bearer(user) });
  return ((await history.json()) as { messages: unknown[] }).messages;
}

test('OpenAI: a stream closed without finish_reason or [DONE] ends with an LLM_FAILED error, unsaved and uncached', async () => {
  openai.fake.behave({ chunks: ['One', ' two', ' three.'], truncateAfter: 2 });
  const cut = await postSse(`${openai.gw.url}/api/v2/chat`, {
    headers: bearer('cut-openai'),
    body: { message: 'Count to three.' },
  });
  assertCutShort(cut);
  assert.deepEqual(await savedMessages(openai.gw.url, 'cut-openai'), [], 'the broken turn is not in the history');

  // The same conversation again: a cached cut-short reply would be replayed without calling the model.
  openai.fake.behave({ truncateAfter: undefined });
  const again = await postSse(`${openai.gw.url}/api/v2/chat`, {
    headers: bearer('cut-openai'),
    body: { message: 'Count to three.' },
  });
  assert.equal(openai.fake.requests.length, 2, 'the second request went to the model');
  assert.equal(again.events.at(-1)?.event, 'done');
  assert.equal(textOf(again), 'One two three.');
});

test('Gemini: a stream that ends without finishReason ends with an LLM_FAILED error, unsaved and uncached', async () => {
  gemini.behave({ chunks: ['One', ' two', ' three.'], truncateAfter: 2 });
  const cut = await postSse(`${geminiGw.url}/api/v2/chat`, {
    headers: bearer('cut-gemini'),
    body: { message: 'Count to three.' },
  });
  assertCutShort(cut);
  assert.deepEqual(await savedMessages(geminiGw.url, 'cut-gemini'), [], 'the broken turn is not in the history');

  gemini.behave({ truncateAfter: undefined });
  const again = await postSse(`${geminiGw.url}/api/v2/chat`, {
    headers: bearer('cut-gemini'),
    body: { message: 'Count to three.' },
  });
  assert.equal(gemini.calls.length, 2, 'the second request went to the model');
  assert.equal(again.events.at(-1)?.event, 'done');
  assert.equal(textOf(again), 'One two three.');
});
