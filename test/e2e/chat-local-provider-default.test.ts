import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bearer } from '../support/chat';
import { startGateway, type RunningGateway } from '../support/gateway';
import { postSse, textOf } from '../support/sse-client';
import { TEST_JWT_SECRET } from '../support/tokens';

let gw: RunningGateway;
before(async () => {
  // Nothing about models configured: LLM_PROVIDER defaults to local.
  gw = await startGateway({
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT: 'off',
    CACHE_ENABLED: 'false',
    LEGACY_URL: 'http://127.0.0.1:9',
  });
});
after(() => gw?.stop());

test('with nothing configured the local provider streams a deterministic reply token by token', async () => {
  const ask = (user: string, message: string) =>
    postSse(`${gw.url}/api/v2/chat`, { headers: bearer(user), body: { message } });
  const a = await ask('local-a', 'Good evening, innkeeper');
  const deltas = a.events.filter((e) => e.event === 'delta');
  assert.ok(deltas.length >= 5, 'one delta per word');
  assert.ok(deltas.at(-1)!.at - deltas[0].at >= 100, 'spread over time (LLM_LOCAL_TOKEN_DELAY_MS)');
  assert.match(textOf(a), /^You said "Good evening, innkeeper" \(turn 1, local-flash\)\./);
  assert.equal(a.events.at(-1)?.event, 'done');
  assert.equal(a.events.at(-1)?.data.model, 'local-flash');

  // The same conversation gives the same reply; another message or a longer history gives another.
  const b = await ask('local-b', 'Good evening, innkeeper');
  assert.equal(textOf(b), textOf(a));
  const c = await ask('local-c', 'Good morning, innkeeper');
  assert.notEqual(textOf(c), textOf(a));
  const again = await ask('local-a', 'Good evening, innkeeper');
  assert.match(textOf(again), /turn 2/);
});
