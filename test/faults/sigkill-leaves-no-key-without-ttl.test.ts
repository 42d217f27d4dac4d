// Pass criterion: after a gateway with REDIS_URL is killed with SIGKILL in the middle of traffic (a cache fill, a
// streaming chat and rate-limited requests in flight) and a new one serves traffic on the same Redis, every key in
// Redis has a TTL: zero keys with PTTL -1. A key without expiry would live for ever in a shared Redis (a stuck
// cache entry, a rate-limit window that never resets, a conversation kept past its retention).
// Also: the restarted gateway serves at once (no 5xx) from the state the killed one left.
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { after, before, test } from 'node:test';
import { bearer, metric } from '../support/chat';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startRedis, type RedisServer } from '../support/redis';
import { TEST_JWT_SECRET } from '../support/tokens';
import { waitFor } from '../support/wait';

let redis: RedisServer;
let upstream: CountingUpstream;
let first: RunningGateway | undefined;
let second: RunningGateway | undefined;
let env: Record<string, string>;
/** Requests for the slow path that reached legacy: a cache fill open there. */
let slowArrived = 0;

before(async () => {
  redis = await startRedis();
  upstream = await startCountingUpstream((req, res, n) => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('cache-control', 'public, max-age=300');
    // The slow path keeps a cache fill open when the kill comes (a half-stored entry must not outlive it).
    if (req.url?.startsWith('/api/v1/slow')) slowArrived++;
    setTimeout(() => res.end(JSON.stringify({ n })), req.url?.startsWith('/api/v1/slow') ? 3_000 : 0);
  });
  env = {
    LEGACY_URL: upstream.url,
    REDIS_URL: redis.url,
    JWT_SECRET: TEST_JWT_SECRET,
    LLM_PROVIDER: 'local',
    // A slow local model, so a chat stream is mid-way when the process dies.
    LLM_LOCAL_TOKEN_DELAY_MS: '100',
  };
  first = await startGateway(env);
  await waitReady(first);
});

after(async () => {
  await first?.child.stop('SIGKILL', 1_000);
  await second?.stop();
  await upstream?.close();
  await redis?.stop();
});

/** Traffic that makes the gateway write each kind of key it has: rate-limit windows, cache entries, conversations. */
async function traffic(gw: RunningGateway, tag: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await send(`${gw.url}/api/v1/items/${tag}/${i}`)).status);
  for (let i = 0; i < 3; i++) statuses.push((await send(`${gw.url}/api/v1/items/${tag}/0`)).status);
  const chat = await send(`${gw.url}/api/v2/chat`, {
    method: 'POST',
    headers: { ...bearer(`user-${tag}`), 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ message: `hello from ${tag}` }),
    timeoutMs: 20_000,
  });
  statuses.push(chat.status);
  return statuses;
}

test('SIGKILL mid-traffic, restart on the same Redis: no key is left without a TTL', async () => {
  const gw = first!;
  assert.deepEqual(await traffic(gw, 'a'), [200, 200, 200, 200, 200, 200, 200, 200, 200]);
  // In flight at the kill: two requests for one cache fill (one waits on the other), and a streaming chat.
  const inflight = [
    send(`${gw.url}/api/v1/slow/1`, { timeoutMs: 10_000 }),
    send(`${gw.url}/api/v1/slow/1`, { timeoutMs: 10_000 }),
    send(`${gw.url}/api/v2/chat`, {
      method: 'POST',
      headers: { ...bearer('user-streaming'), 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ message: 'a long question that streams for a while' }),
      timeoutMs: 10_000,
    }),
  ].map((p) =>
    p.then(
      () => 'answered',
      () => 'cut',
    ),
  );
  // Killed once the fill is open at legacy (the second request for it sent together, on its own connection) and
  // the chat is streaming (about 100 ms a token, for seconds).
  await waitFor(async () => slowArrived > 0 && (await metric(gw, 'gateway_sse_streams_open')) === 1, 5_000, {
    what: 'the cache fill at legacy and the chat stream open',
  });
  gw.child.proc.kill('SIGKILL');
  assert.equal(await gw.child.exited, null, 'the gateway was not killed by the signal');
  await Promise.all(inflight);

  second = await startGateway(env);
  await waitReady(second);
  // The restarted gateway serves the killed one's users and paths, including the path whose fill was cut.
  const again = [
    ...(await traffic(second, 'a')),
    ...(await traffic(second, 'b')),
    (await send(`${second.url}/api/v1/slow/1`, { timeoutMs: 10_000 })).status,
  ];
  assert.ok(
    again.every((s) => s === 200),
    again.join(','),
  );

  const client = new Redis(redis.url, { lazyConnect: true });
  try {
    await client.connect();
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await client.scan(cursor, 'COUNT', 500);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    const ttls = await Promise.all(keys.map(async (k) => [k, await client.pttl(k)] as const));
    const families = [...new Set(keys.map((k) => k.split(':')[0]))].sort();
    console.log(`# sigkill: ${keys.length} keys in Redis after restart, families ${families.join(' ')}`);
    assert.ok(keys.length >= 5, `only ${keys.length} keys; the traffic wrote too little to prove anything`);
    // Rate-limit windows (rl), response-cache entries (fc) and chat conversations (user_session) all took part.
    for (const family of ['rl', 'fc', 'user_session'])
      assert.ok(families.includes(family), `no ${family} keys among ${families.join(' ')}`);
    const forever = ttls.filter(([, ttl]) => ttl === -1).map(([k]) => k);
    assert.deepEqual(forever, [], 'keys without a TTL');
  } finally {
    client.disconnect();
  }
});
