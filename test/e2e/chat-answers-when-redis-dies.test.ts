import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bearer, metric } from '../support/chat';
import { startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { startRedis, type RedisServer } from '../support/redis';
import { postSse, textOf } from '../support/sse-client';
import { TEST_JWT_SECRET } from '../support/tokens';

let redis: RedisServer;
let gw: RunningGateway;
before(async () => {
  redis = await startRedis();
  gw = await startGateway({
    REDIS_URL: redis.url,
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT: 'off',
    LLM_LOCAL_TOKEN_DELAY_MS: '0',
    LEGACY_URL: 'http://127.0.0.1:9',
  });
  await waitReady(gw).catch(() => undefined);
});
after(async () => {
  await gw?.stop();
  await redis?.stop();
});

test('with Redis gone the chat still streams a reply, without memory, and counts the store errors', async () => {
  const first = await postSse(`${gw.url}/api/v2/chat`, {
    headers: bearer('redis-user'),
    body: { message: 'Remember me?' },
  });
  assert.equal(first.events.at(-1)?.event, 'done', first.body);
  const conversationId = first.events.at(-1)?.data.conversation_id;

  await redis.stop();
  const res = await postSse(`${gw.url}/api/v2/chat`, {
    headers: bearer('redis-user'),
    body: { message: 'Still there?', conversation_id: conversationId },
  });
  assert.equal(res.status, 200, res.body);
  assert.equal(res.events.at(-1)?.event, 'done', res.body);
  assert.match(textOf(res), /turn 1/, 'answered without the stored history');
  assert.ok((await metric(gw, 'gateway_store_errors_total', { user: 'chat' }))! >= 1);
});
