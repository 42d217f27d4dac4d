import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bearer, metric, startChatGateway } from '../support/chat';
import { send } from '../support/http';
import { postSse } from '../support/sse-client';
import { waitFor } from '../support/wait';

let stack: Awaited<ReturnType<typeof startChatGateway>>;
before(async () => {
  stack = await startChatGateway({
    LLM_MODEL_FLASH: 'house-flash',
    LOG_LEVEL: 'info',
    OPENAI_API_KEY: 'sk-test-must-not-be-logged',
  });
});
after(() => stack?.stop());

test('a streamed chat shows in the request metrics under its route id and in the chat metrics', async () => {
  stack.fake.behave({ chunks: ['a', 'b', 'c'], firstDelayMs: 100, delayMs: 10 });
  const res = await postSse(`${stack.gw.url}/api/v2/chat`, {
    headers: bearer('metrics-user'),
    body: { message: 'zebra quartz lantern' },
  });
  assert.equal(res.events.at(-1)?.data.model, 'house-flash', 'LLM_MODEL_FLASH names the flash model');
  // The hijacked SSE reply is still counted once by the onResponse accounting, which runs as the reply ends: a
  // moment after the client read its last event. Its access line is written then too.
  const accessLogged = () =>
    stack.gw.child
      .output()
      .split('\n')
      .some((l) => l.includes('"route":"v2-chat"') && l.includes('"status":200'));
  await waitFor(
    async () =>
      (await metric(stack.gw, 'gateway_requests_total', { route: 'v2-chat', status: '200' })) !== undefined &&
      (await metric(stack.gw, 'gateway_sse_streams_open')) === 0 &&
      accessLogged(),
    5_000,
    { what: 'the finished chat stream to be counted, closed and logged' },
  );
  assert.equal(
    await metric(stack.gw, 'gateway_requests_total', {
      route: 'v2-chat',
      target: 'module',
      method: 'POST',
      status: '200',
    }),
    1,
  );
  assert.equal(await metric(stack.gw, 'gateway_chat_tokens_total', { provider: 'openai', model: 'house-flash' }), 3);
  assert.equal(await metric(stack.gw, 'gateway_chat_time_to_first_token_seconds_count', { provider: 'openai' }), 1);
  assert.ok((await metric(stack.gw, 'gateway_chat_time_to_first_token_seconds_sum', { provider: 'openai' }))! >= 0.09);
  assert.equal(await metric(stack.gw, 'gateway_sse_streams_open'), 0);
  assert.equal(await metric(stack.gw, 'gateway_chat_cache_total', { result: 'miss' }), 1);
  // The access log line of the hijacked reply names the route, and no message text or key is logged.
  const log = stack.gw.child.output();
  assert.ok(accessLogged(), log);
  assert.ok(
    !log.includes('sk-test-must-not-be-logged') && !log.includes('zebra'),
    'no key or message text in the logs',
  );

  const history = await send(`${stack.gw.url}/api/v2/chat/history`, { headers: bearer('metrics-user') });
  assert.equal(history.status, 200);
  assert.equal(await metric(stack.gw, 'gateway_requests_total', { route: 'v2-chat-history', status: '200' }), 1);
});
