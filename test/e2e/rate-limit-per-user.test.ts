import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { TEST_JWT_SECRET, tokens } from '../support/tokens';

let upstream: CountingUpstream;
let gw: RunningGateway;

before(async () => {
  upstream = await startCountingUpstream();
  gw = await startGateway({ LEGACY_URL: upstream.url, JWT_SECRET: TEST_JWT_SECRET, RATE_LIMIT: '3/60s' });
});
after(async () => {
  await gw?.stop();
  await upstream?.close();
});

const me = (sub: string) =>
  send(`${gw.url}/api/v2/me`, { headers: { authorization: `Bearer ${tokens.valid({ sub })}` } });

test('authenticated callers from one address each get their own budget', async () => {
  const alice = [];
  for (let i = 0; i < 4; i++) alice.push((await me('alice')).status);
  assert.deepEqual(alice, [200, 200, 200, 429]);
  assert.equal((await me('bob')).status, 200, 'bob shares the address but not the budget');
});
