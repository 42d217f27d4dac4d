import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bearer, startChatGateway } from '../support/chat';
import { postSse, textOf } from '../support/sse-client';

let stack: Awaited<ReturnType<typeof startChatGateway>>;
before(async () => {
  stack = await startChatGateway();
});
after(() => stack?.stop());

test('each model chunk reaches the client as an SSE delta when the model produces it, then done', async () => {
  const chunks = ['The', ' tide', ' turns', ' at', ' dawn.'];
  const gapMs = 400;
  stack.fake.behave({ chunks, firstDelayMs: 0, delayMs: gapMs });
  const res = await postSse(`${stack.gw.url}/api/v2/chat`, {
    headers: bearer('stream-user'),
    body: { message: 'When does the tide turn?' },
  });

  assert.equal(res.status, 200);
  assert.match(String(res.headers['content-type']), /^text\/event-stream/);
  assert.match(String(res.headers['cache-control']), /no-cache/);
  assert.equal(res.headers['x-accel-buffering'], 'no');
  assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/);

  const deltas = res.events.filter((e) => e.event === 'delta');
  assert.equal(textOf(res), chunks.join(''));
  assert.equal(deltas.length, chunks.length, 'one delta per model chunk, none merged by buffering');
  // 4 gaps of 400 ms: unbuffered, the first delta is seen at least ~1.2 s before the last (generous: 2 shared cores).
  const spread = deltas[deltas.length - 1].at - deltas[0].at;
  assert.ok(spread >= 4 * gapMs * 0.6, `deltas arrived ${spread} ms apart in total; buffered?`);
  for (let i = 1; i < deltas.length; i++) {
    assert.ok(
      deltas[i].at - deltas[i - 1].at >= gapMs * 0.5,
      `delta ${i} came ${deltas[i].at - deltas[i - 1].at} ms after the previous`,
    );
  }

  const last = res.events[res.events.length - 1];
  assert.equal(last.event, 'done');
  assert.equal(res.events.filter((e) => e.event === 'done').length, 1);
  assert.match(last.data.conversation_id, /^[0-9a-f-]{36}$/);
  assert.equal(last.data.model, 'gpt-4.1-mini', 'a short prompt goes to the flash tier');
  assert.deepEqual(last.data.usage, { prompt_tokens: 11, completion_tokens: chunks.length });

  const sent = stack.fake.requests.at(-1)!;
  assert.equal(sent.key, 'primary');
  assert.equal(sent.body.stream, true);
  assert.deepEqual(sent.body.messages, [{ role: 'user', content: 'When does the tide turn?' }]);
});

test('the client picks the tier; LLM_MODEL_* names are not needed for the defaults', async () => {
  stack.fake.behave({ chunks: ['ok'], delayMs: 0 });
  const res = await postSse(`${stack.gw.url}/api/v2/chat`, {
    headers: bearer('tier-user'),
    body: { message: 'hi', model: 'pro' },
  });
  assert.equal(res.events.at(-1)!.data.model, 'gpt-4.1');
  assert.equal(stack.fake.requests.at(-1)!.body.model, 'gpt-4.1');
});
