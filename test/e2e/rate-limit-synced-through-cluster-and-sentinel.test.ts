// Pass criterion: in the default synced mode the limiter's batched counts reach a Redis Cluster (one script call per
// key, to the node owning its slot) and a Sentinel-managed master (one pipeline): after 10 requests the client's
// window there holds 10, with a TTL, and an 11th request past a limit of 10 is refused.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, waitReady } from '../support/gateway';
import { send } from '../support/http';
import { waitFor } from '../support/migration';
import { startRedisCluster, startRedisSentinel, type RedisGroup } from '../support/redis';

const KEY = 'rl:default:a:127.0.0.1';
let upstream: CountingUpstream;
const cleanup: (() => Promise<unknown>)[] = [];

before(async () => {
  upstream = await startCountingUpstream();
});
after(async () => {
  for (const c of cleanup.reverse()) await c();
  await upstream?.close();
});

/** `redis-cli` against one node; `-c` follows a cluster's MOVED redirections. */
const cli = (port: string, ...args: string[]) =>
  execFileSync('redis-cli', ['-c', '-p', port, ...args])
    .toString()
    .trim();

async function countsReach(group: RedisGroup, port: string): Promise<void> {
  const gw = await startGateway({
    LEGACY_URL: upstream.url,
    REDIS_URL: group.url,
    RATE_LIMIT: '10/60s',
    CACHE_ENABLED: 'false',
  });
  cleanup.push(() => gw.stop());
  await waitReady(gw);
  for (let i = 0; i < 10; i++) assert.equal((await send(`${gw.url}/api/v1/item?i=${i}`)).status, 200);
  await waitFor(() => Number(cli(port, 'get', KEY) || 0) === 10, 5_000).catch(() =>
    assert.fail(`count in Redis: ${cli(port, 'get', KEY)}`),
  );
  assert.ok(Number(cli(port, 'pttl', KEY)) > 0, 'the window has a TTL');
  assert.equal((await send(`${gw.url}/api/v1/item?i=10`)).status, 429);
}

test('synced counts reach a Redis Cluster', async () => {
  const cluster = await startRedisCluster();
  cleanup.push(() => cluster.stop());
  await countsReach(cluster, /:(\d+),/.exec(cluster.url)![1]);
});

test('synced counts reach the master a Sentinel names', async () => {
  const sentinel = await startRedisSentinel();
  cleanup.push(() => sentinel.stop());
  await countsReach(sentinel, String(sentinel.master.port));
});
