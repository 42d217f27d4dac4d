import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bearer, startChatGateway } from '../support/chat';
import { send } from '../support/http';

let stack: Awaited<ReturnType<typeof startChatGateway>>;
before(async () => {
  stack = await startChatGateway();
});
after(() => stack?.stop());

const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
  send(`${stack.gw.url}/api/v2/chat`, {
    method: 'POST',
    headers: { ...bearer(), 'content-type': 'application/json', ...headers },
    body,
  });

function assertProblem(res: Awaited<ReturnType<typeof send>>, status: number, code: string) {
  assert.equal(res.status, status, res.body.toString());
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const p = res.json();
  assert.equal(p.code, code);
  assert.equal(p.status, status);
  assert.ok(p.request_id);
  assert.ok(!/at .*\.js:\d+/.test(res.body.toString()), 'no stack trace');
}

test('malformed JSON is 400', async () => {
  assertProblem(await post('{"message": "unterminated'), 400, 'BAD_REQUEST');
  assertProblem(await post(''), 400, 'BAD_REQUEST');
});

test('a body over 64 KiB is 413, unread', async () => {
  assertProblem(await post(JSON.stringify({ message: 'x'.repeat(70 * 1024) })), 413, 'PAYLOAD_TOO_LARGE');
});

test('well-formed JSON that is not a chat request is 422', async () => {
  for (const body of [
    { message: 'hi', extra: true },
    { message: '' },
    { message: '   ' },
    { message: 'x'.repeat(8_001) },
    { message: 42 },
    {},
    { message: 'hi', model: 'ultra' },
    { message: 'hi', conversation_id: 'has spaces' },
  ]) {
    assertProblem(await post(JSON.stringify(body)), 422, 'VALIDATION_FAILED');
  }
  assertProblem(await post('"just a string"'), 422, 'VALIDATION_FAILED');
  assertProblem(await post('[1,2]'), 422, 'VALIDATION_FAILED');
});

test('a message of exactly 8000 characters is accepted', async () => {
  stack.fake.behave({ chunks: ['fine'] });
  const res = await post(JSON.stringify({ message: 'y'.repeat(8_000) }), { accept: 'application/json' });
  assert.equal(res.status, 200, res.body.toString());
});

test('a body that is not JSON is 415', async () => {
  assertProblem(
    await post('message=hi', { 'content-type': 'application/x-www-form-urlencoded' }),
    415,
    'UNSUPPORTED_MEDIA_TYPE',
  );
  assertProblem(await post('hi', { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
});

test('no credentials is 401, before the body is looked at', async () => {
  const res = await send(`${stack.gw.url}/api/v2/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"message":"hi"}',
  });
  assertProblem(res, 401, 'UNAUTHENTICATED');
});
