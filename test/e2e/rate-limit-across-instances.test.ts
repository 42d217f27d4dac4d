import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startRedis, type RedisServer } from '../support/redis';

let redis: RedisServer;
let upstream: CountingUpstream;
let a: RunningGateway;
let b: RunningGateway;

before(async () => {
  redis = await startRedis();
  upstream = await startCountingUpstream();
  // Exact mode: "exactly N" needs a Redis round trip per request. The default synced mode may admit a little more
  // (rate-limit-synced-instances-stay-within-bound).
  const env = { LEGACY_URL: upstream.url, REDIS_URL: redis.url, RATE_LIMIT: '10/30s', RATE_LIMIT_SYNC_MS: '0' };
  [a, b] = await Promise.all([startGateway(env), startGateway(env)]);
  await Promise.all([waitReady(a), waitReady(b)]);
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await upstream?.close();
  await redis?.stop();
});

test('a limit of N allows exactly N requests across two instances sharing Redis', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 14; i++) statuses.push((await send(`${(i % 2 ? b : a).url}/api/v1/things?i=${i}`)).status);
  assert.equal(statuses.filter((s) => s === 200).length, 10, statuses.join(','));
  assert.equal(statuses.filter((s) => s === 429).length, 4);
  assert.equal(upstream.hits(), 10, 'refused requests never reach the upstream');
});

test('a 429 says when to come back, in problem+json and RateLimit headers', async () => {
  const res = await send(`${a.url}/api/v1/things`);
  assert.equal(res.status, 429);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  assert.equal(res.json().code, 'RATE_LIMITED');
  const retry = Number(res.headers['retry-after']);
  assert.ok(retry >= 1 && retry <= 30, `Retry-After ${retry}`);
  assert.equal(res.headers['ratelimit-limit'], '10');
  assert.equal(res.headers['ratelimit-remaining'], '0');
  assert.equal(res.headers['ratelimit-policy'], '10;w=30');
});

test('rotating X-Forwarded-For from an untrusted client does not reset the limit', async () => {
  for (let i = 0; i < 5; i++) {
    const res = await send(`${b.url}/api/v1/things`, { headers: { 'x-forwarded-for': `198.51.100.${i}` } });
    assert.equal(res.status, 429);
  }
});

test('the counters in Redis expire on their own', async () => {
  const { execFileSync } = await import('node:child_process');
  const keys = execFileSync('redis-cli', ['-p', String(redis.port), '--scan', '--pattern', 'rl:*'])
    .toString()
    .trim()
    .split('\n')
    .filter(Boolean);
  assert.ok(keys.length > 0);
  for (const k of keys) {
    const ttl = Number(execFileSync('redis-cli', ['-p', String(redis.port), 'pttl', k]).toString());
    assert.ok(ttl > 0, `${k} has no TTL (${ttl})`);
  }
});
