import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { bearer, metric } from '../support/chat';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startRedis, type RedisServer } from '../support/redis';
import { postSse, textOf } from '../support/sse-client';
import { TEST_JWT_SECRET } from '../support/tokens';
import { waitFor } from '../support/wait';

let redis: RedisServer;
let gw: RunningGateway;
before(async () => {
  redis = await startRedis();
  gw = await startGateway({
    REDIS_URL: redis.url,
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT: 'off',
    LLM_LOCAL_TOKEN_DELAY_MS: '0',
    // Nothing listens here: the chat needs no legacy (history migration finds no cookie). So the gateway never
    // turns ready, and what is awaited is its readiness check seeing the store up.
    LEGACY_URL: 'http://127.0.0.1:9',
  });
  let checks: unknown;
  await waitFor(
    async () => {
      checks = (await send(`${gw.url}/health/ready`)).json().checks;
      return (checks as { store?: string } | undefined)?.store === 'redis: up';
    },
    10_000,
    { what: 'the readiness check to see the store up', detail: () => JSON.stringify(checks) },
  );
});
after(async () => {
  await gw?.stop();
  await redis?.stop();
});

/** Whether the redis-server holds `key` (asked with redis-cli, not through the gateway). */
const holds = (key: string) =>
  execFileSync('redis-cli', ['-p', String(redis.port), 'exists', key])
    .toString()
    .trim() === '1';

test('with Redis gone the chat still streams a reply, without memory, and counts the store errors', async () => {
  const first = await postSse(`${gw.url}/api/v2/chat`, {
    headers: bearer('redis-user'),
    body: { message: 'Remember me?' },
  });
  assert.equal(first.events.at(-1)?.event, 'done', first.body);
  const conversationId = first.events.at(-1)?.data.conversation_id;
  // The turn is saved before `done` goes out: the conversation is in this redis-server, not in the gateway.
  assert.ok(holds('user_session:redis-user'), 'the conversation was not stored in Redis');
  const errorsBefore = (await metric(gw, 'gateway_store_errors_total', { user: 'chat' })) ?? 0;

  await redis.stop();
  const res = await postSse(`${gw.url}/api/v2/chat`, {
    headers: bearer('redis-user'),
    body: { message: 'Still there?', conversation_id: conversationId },
  });
  assert.equal(res.status, 200, res.body);
  assert.equal(res.events.at(-1)?.event, 'done', res.body);
  assert.match(textOf(res), /turn 1/, 'answered without the stored history');
  assert.ok((await metric(gw, 'gateway_store_errors_total', { user: 'chat' }))! > errorsBefore);
});
