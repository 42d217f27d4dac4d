import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bearer, startChatGateway } from '../support/chat';
import { send } from '../support/http';

let stack: Awaited<ReturnType<typeof startChatGateway>>;
before(async () => {
  stack = await startChatGateway();
});
after(() => stack?.stop());

test('Accept: application/json answers one JSON object {reply, conversation_id, model}', async () => {
  stack.fake.behave({ chunks: ['All', ' at', ' once.'], delayMs: 20 });
  const res = await send(`${stack.gw.url}/api/v2/chat`, {
    method: 'POST',
    headers: { ...bearer('json-user'), 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ message: 'Everything in one go?' }),
  });
  assert.equal(res.status, 200, res.body.toString());
  assert.match(String(res.headers['content-type']), /^application\/json/);
  assert.ok(res.headers['x-request-id']);
  const body = res.json();
  assert.deepEqual(Object.keys(body).sort(), ['conversation_id', 'model', 'reply']);
  assert.equal(body.reply, 'All at once.');
  assert.equal(body.model, 'gpt-4.1-mini');

  const history = await send(`${stack.gw.url}/api/v2/chat/history`, { headers: bearer('json-user') });
  assert.deepEqual(history.json().messages, [
    { role: 'user', content: 'Everything in one go?' },
    { role: 'assistant', content: 'All at once.' },
  ]);
  assert.equal(history.json().conversation_id, body.conversation_id);
});

test("a conversation_id that is not the caller's is refused with 404 before the model is called", async () => {
  const before = stack.fake.requests.length;
  const res = await send(`${stack.gw.url}/api/v2/chat`, {
    method: 'POST',
    headers: { ...bearer('json-user'), 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ message: 'hi', conversation_id: 'not-mine' }),
  });
  assert.equal(res.status, 404);
  assert.equal(stack.fake.requests.length, before);
});
