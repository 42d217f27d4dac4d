import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bearer, metric, startChatGateway } from '../support/chat';
import { postSse, textOf } from '../support/sse-client';

let cached: Awaited<ReturnType<typeof startChatGateway>>;
let uncached: Awaited<ReturnType<typeof startChatGateway>>;
before(async () => {
  [cached, uncached] = await Promise.all([startChatGateway(), startChatGateway({ CACHE_ENABLED: 'false' })]);
});
after(() => Promise.all([cached?.stop(), uncached?.stop()]));

test('an identical request is answered from ai_cache, streamed as deltas then done, and counted', async () => {
  cached.fake.behave({ chunks: ['Cached', ' words', ' stream', ' too.'], delayMs: 10 });
  // Two users with no history asking the same thing: same provider, model and messages.
  const first = await postSse(`${cached.gw.url}/api/v2/chat`, {
    headers: bearer('cache-a'),
    body: { message: 'What is the capital of Atlantis?' },
  });
  const second = await postSse(`${cached.gw.url}/api/v2/chat`, {
    headers: bearer('cache-b'),
    body: { message: 'What is the capital of Atlantis?' },
  });
  assert.equal(cached.fake.requests.length, 1, 'the second was not sent to the model');
  assert.equal(textOf(second), 'Cached words stream too.');
  assert.ok(second.events.filter((e) => e.event === 'delta').length > 1, 'replayed as several deltas');
  assert.equal(second.events.at(-1)?.event, 'done');
  assert.equal(second.events.at(-1)?.data.model, first.events.at(-1)?.data.model);
  assert.notEqual(
    second.events.at(-1)?.data.conversation_id,
    first.events.at(-1)?.data.conversation_id,
    'each user keeps their own conversation',
  );
  assert.equal(await metric(cached.gw, 'gateway_chat_cache_total', { result: 'miss' }), 1);
  assert.equal(await metric(cached.gw, 'gateway_chat_cache_total', { result: 'hit' }), 1);

  // A different history is a different request: the same message later in a conversation is not a hit.
  await postSse(`${cached.gw.url}/api/v2/chat`, {
    headers: bearer('cache-a'),
    body: { message: 'What is the capital of Atlantis?' },
  });
  assert.equal(cached.fake.requests.length, 2);
});

test('CACHE_ENABLED=false: every request goes to the model', async () => {
  uncached.fake.behave({ chunks: ['Fresh.'] });
  for (const user of ['u1', 'u2']) {
    const res = await postSse(`${uncached.gw.url}/api/v2/chat`, {
      headers: bearer(user),
      body: { message: 'Same question' },
    });
    assert.equal(res.events.at(-1)?.event, 'done');
  }
  assert.equal(uncached.fake.requests.length, 2);
  assert.equal(await metric(uncached.gw, 'gateway_chat_cache_total', { result: 'bypass' }), 2);
});
