import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bearer, startChatGateway } from '../support/chat';
import { postSse, textOf } from '../support/sse-client';
import { waitFor } from '../support/wait';

let stack: Awaited<ReturnType<typeof startChatGateway>>;
before(async () => {
  stack = await startChatGateway({
    CACHE_ENABLED: 'false',
    LLM_FIRST_TOKEN_TIMEOUT_MS: '800',
    LLM_IDLE_TIMEOUT_MS: '600',
    SSE_KEEPALIVE_MS: '200',
  });
});
after(() => stack?.stop());

test('no first token within LLM_FIRST_TOKEN_TIMEOUT_MS: error event LLM_TIMEOUT, the model call is aborted', async () => {
  stack.fake.reset();
  stack.fake.behave({ chunks: ['never'], hangAfter: 0 });
  const res = await postSse(`${stack.gw.url}/api/v2/chat`, { headers: bearer(), body: { message: 'Hello?' } });
  assert.deepEqual(
    res.events.map((e) => [e.event, e.data.code]),
    [['error', 'LLM_TIMEOUT']],
  );
  assert.equal(res.events[0].data.status, 504);
  assert.ok(res.events[0].at >= 700 && res.events[0].at < 5_000, `error after ${res.events[0].at} ms`);
  // The idle stream was kept alive with comment lines meanwhile (SSE_KEEPALIVE_MS=200).
  assert.ok(
    res.comments.some((c) => c.text === 'keep-alive'),
    'no keep-alive comment on the idle stream',
  );
  await waitFor(() => stack.fake.requests[0].closedAt !== undefined, 5_000, {
    what: 'the hanging model request to be closed',
  });
});

test('silence after some text longer than LLM_IDLE_TIMEOUT_MS: error event, never done', async () => {
  stack.fake.reset();
  stack.fake.behave({ chunks: ['Once', ' upon'], hangAfter: 1 });
  const res = await postSse(`${stack.gw.url}/api/v2/chat`, { headers: bearer(), body: { message: 'A story?' } });
  assert.equal(textOf(res), 'Once');
  assert.deepEqual(
    res.events.map((e) => e.event),
    ['delta', 'error'],
  );
  assert.equal(res.events[1].data.code, 'LLM_TIMEOUT');
});
