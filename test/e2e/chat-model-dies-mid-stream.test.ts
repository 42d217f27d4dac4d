import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bearer, metric, startChatGateway } from '../support/chat';
import { postSse, textOf } from '../support/sse-client';

let stack: Awaited<ReturnType<typeof startChatGateway>>;
before(async () => {
  stack = await startChatGateway({ CACHE_ENABLED: 'false', OPENAI_API_KEY_FALLBACK: 'fallback' });
});
after(() => stack?.stop());

test('a model connection dying mid-stream ends the SSE with an error event, never done, and no key fallback', async () => {
  stack.fake.reset();
  stack.fake.behave({ chunks: ['One', ' two', ' three', ' four'], delayMs: 50, dieAfter: 2 });
  const res = await postSse(`${stack.gw.url}/api/v2/chat`, {
    headers: bearer('dies'),
    body: { message: 'Count for me.' },
  });
  assert.equal(textOf(res), 'One two', 'what was said before the failure was delivered');
  assert.deepEqual(
    res.events.map((e) => e.event),
    ['delta', 'delta', 'error'],
  );
  const problem = res.events.at(-1)!.data;
  assert.equal(problem.code, 'LLM_FAILED');
  assert.equal(problem.status, 502);
  assert.ok(!res.body.includes('event: done'));
  assert.deepEqual(
    stack.fake.requests.map((r) => r.key),
    ['primary'],
    'a reply already under way is not restarted on another key',
  );
  assert.equal(await metric(stack.gw, 'gateway_chat_provider_errors_total', { kind: 'broken' }), 1);

  const history = await fetch(`${stack.gw.url}/api/v2/chat/history`, { headers: bearer('dies') });
  assert.deepEqual(((await history.json()) as { messages: unknown[] }).messages, [], 'a broken turn is not saved');
});
