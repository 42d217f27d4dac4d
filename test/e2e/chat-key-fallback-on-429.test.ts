import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bearer, metric, startChatGateway } from '../support/chat';
import { postSse, textOf } from '../support/sse-client';

let stack: Awaited<ReturnType<typeof startChatGateway>>;
before(async () => {
  stack = await startChatGateway({ OPENAI_API_KEY_FALLBACK: 'fallback', CACHE_ENABLED: 'false' });
});
after(() => stack?.stop());

test('a 429 on the primary key moves the request to OPENAI_API_KEY_FALLBACK at once, and it is counted', async () => {
  stack.fake.reset();
  stack.fake.behave({ chunks: ['Served', ' by', ' the', ' fallback.'], statusForKey: { primary: 429 } });
  const started = Date.now();
  const res = await postSse(`${stack.gw.url}/api/v2/chat`, { headers: bearer(), body: { message: 'Are you there?' } });
  assert.equal(res.events.at(-1)?.event, 'done', res.body);
  assert.equal(textOf(res), 'Served by the fallback.');
  assert.deepEqual(
    stack.fake.requests.map((r) => r.key),
    ['primary', 'fallback'],
    'no SDK retry on the primary, one try on the fallback',
  );
  assert.ok(Date.now() - started < 5_000, 'no backoff before the fallback');
  assert.equal(await metric(stack.gw, 'gateway_chat_key_fallbacks_total', { provider: 'openai' }), 1);
  assert.equal(
    await metric(stack.gw, 'gateway_chat_provider_errors_total', { provider: 'openai', kind: 'rate_limited' }),
    1,
  );
});

test('503 on the primary falls back too', async () => {
  stack.fake.reset();
  stack.fake.behave({ chunks: ['ok'], statusForKey: { primary: 503 } });
  const res = await postSse(`${stack.gw.url}/api/v2/chat`, { headers: bearer(), body: { message: 'Again?' } });
  assert.equal(res.events.at(-1)?.event, 'done', res.body);
  assert.deepEqual(
    stack.fake.requests.map((r) => r.key),
    ['primary', 'fallback'],
  );
});

test('when both keys are refused the stream ends with an LLM_UNAVAILABLE error event, never done', async () => {
  stack.fake.reset();
  stack.fake.behave({ statusForKey: { primary: 429, fallback: 503 } });
  const res = await postSse(`${stack.gw.url}/api/v2/chat`, { headers: bearer(), body: { message: 'Anyone?' } });
  assert.equal(res.status, 200);
  assert.deepEqual(
    res.events.map((e) => e.event),
    ['error'],
  );
  const problem = res.events[0].data;
  assert.equal(problem.code, 'LLM_UNAVAILABLE');
  assert.equal(problem.status, 503);
  assert.equal(problem.type, 'urn:figway:problem:llm-unavailable');
  assert.ok(problem.request_id);
  assert.ok(!res.body.includes('primary') && !res.body.includes('fallback'), 'keys never reach the client');
});

test('a refusal that another key cannot fix (401) does not try the fallback', async () => {
  stack.fake.reset();
  stack.fake.behave({ statusForKey: { primary: 401 } });
  const res = await postSse(`${stack.gw.url}/api/v2/chat`, { headers: bearer(), body: { message: 'Hm?' } });
  assert.deepEqual(
    res.events.map((e) => [e.event, e.data.code]),
    [['error', 'LLM_FAILED']],
  );
  assert.deepEqual(
    stack.fake.requests.map((r) => r.key),
    ['primary'],
  );
});

test('JSON mode: the degraded answer is a 503 problem+json', async () => {
  stack.fake.reset();
  stack.fake.behave({ statusForKey: { primary: 429, fallback: 429 } });
  const res = await postSse(`${stack.gw.url}/api/v2/chat`, {
    headers: { ...bearer(), accept: 'application/json' },
    body: { message: 'Hello?' },
  });
  assert.equal(res.status, 503);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  assert.equal(JSON.parse(res.body).code, 'LLM_UNAVAILABLE');
});
