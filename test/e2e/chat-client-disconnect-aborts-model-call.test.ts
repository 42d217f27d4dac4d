import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bearer, metric, startChatGateway } from '../support/chat';
import { postSse } from '../support/sse-client';
import { waitFor } from '../support/wait';

let stack: Awaited<ReturnType<typeof startChatGateway>>;
before(async () => {
  stack = await startChatGateway({ CACHE_ENABLED: 'false' });
});
after(() => stack?.stop());

test('the client hanging up mid-stream aborts the model request within 1 s', async () => {
  stack.fake.behave({ chunks: Array.from({ length: 40 }, (_, i) => ` w${i}`), delayMs: 250 });
  let hungUpAt = 0;
  const res = await postSse(`${stack.gw.url}/api/v2/chat`, {
    headers: bearer('leaver'),
    body: { message: 'Tell me a long story.' },
    stopWhen: (e) => e.event === 'delta',
    onStop: () => (hungUpAt = Date.now()),
  });
  assert.equal(res.events[0].event, 'delta');
  const upstream = stack.fake.requests.at(-1)!;
  await waitFor(() => upstream.closedAt !== undefined, 3_000, { what: 'the model request to be closed' });
  assert.ok(upstream.closedAt, 'the model request was never closed');
  assert.ok(upstream.closedAt - hungUpAt < 1_000, `closed ${upstream.closedAt - hungUpAt} ms after the client left`);
  assert.ok(upstream.sent < 10, `the model kept streaming (${upstream.sent} chunks sent)`);

  // Nothing of the abandoned turn is saved, and the stream is no longer counted as open.
  await waitFor(async () => (await metric(stack.gw, 'gateway_sse_streams_open')) === 0, 5_000, {
    what: 'gateway_sse_streams_open 0 after the cut stream',
  });
  assert.equal(
    await metric(stack.gw, 'gateway_requests_total', { route: 'v2-chat', status: '200' }),
    1,
    'the cut stream is still counted',
  );
  const history = await fetch(`${stack.gw.url}/api/v2/chat/history`, { headers: bearer('leaver') });
  assert.deepEqual(((await history.json()) as { messages: unknown[] }).messages, []);
});
