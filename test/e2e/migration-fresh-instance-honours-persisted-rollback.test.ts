import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import type { CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { admin, ADMIN_TOKEN, sideUpstream, waitFor } from '../support/migration';
import { freePort } from '../support/ports';
import { startRedis, type RedisServer } from '../support/redis';

/**
 * A rollback in force (`PUT /admin/flags {"route_all_to_legacy":true}`, persisted under `figway:flags`) must hold
 * for an instance started later from its very first request: it reads the persisted overrides before it listens.
 * When the store cannot be reached at start, the instance still starts, says so in one warn line and in readiness,
 * and applies the overrides once the store answers.
 */

let redis: RedisServer;
let legacy: CountingUpstream;
let fresh: CountingUpstream;
let a: RunningGateway;
let env: Record<string, string>;

before(async () => {
  [redis, legacy, fresh] = await Promise.all([startRedis(), sideUpstream('legacy'), sideUpstream('new')]);
  const yaml = `
routes:
  - id: reports
    path: /api/v1/reports/*
    target: ${fresh.url}
`;
  env = { LEGACY_URL: legacy.url, ROUTES_FILE: routesFile(yaml), RATE_LIMIT: 'off', ADMIN_TOKEN, REDIS_URL: redis.url };
  a = await startGateway(env);
  await waitReady(a);
  const put = await admin(a.url, 'PUT', '/admin/flags', { route_all_to_legacy: true });
  assert.equal(put.status, 200, put.body.toString());
});
after(async () => {
  await a?.stop();
  await Promise.all([legacy?.close(), fresh?.close(), redis?.stop()]);
});

/** Whether something accepts a TCP connection on the port right now. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => (s.destroy(), resolve(false)));
  });
}

/**
 * Starts an instance and, as soon as its port accepts (polled every millisecond, not startGateway's 50 ms), sends
 * 20 requests in parallel to a route that targets the new side; returns the sides that answered them.
 */
async function startAndSendAtOnce(): Promise<{ gw: RunningGateway; sides: string[] }> {
  const port = await freePort();
  const starting = startGateway(env, { port });
  let failed = false;
  starting.catch(() => (failed = true));
  await waitFor(async () => failed || (await accepts(port)), 60_000, { stepMs: 1 });
  if (failed) await starting;
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) => send(`http://127.0.0.1:${port}/api/v1/reports/q${i}`)),
  ).catch(async (err) => {
    await (await starting).stop();
    throw err;
  });
  return { gw: await starting, sides: answers.map((r) => (r.status === 200 ? r.json().side : `status ${r.status}`)) };
}

test('an instance started during a rollback sends its very first requests to legacy', async () => {
  const newBefore = fresh.hits();
  // No readiness wait: the first requests are where the routes file's table used to serve.
  const { gw: b, sides } = await startAndSendAtOnce();
  try {
    assert.deepEqual(sides, Array(20).fill('legacy'), `sides of the first requests: ${sides.join(' ')}`);
    assert.equal(fresh.hits(), newBefore, 'nothing reached the new side');
    assert.deepEqual((await admin(b.url, 'GET', '/admin/flags')).json().route_all_to_legacy, {
      value: true,
      source: 'admin',
    });
    assert.equal((await send(`${b.url}/health/ready`)).json().checks.overrides, 'read');
  } finally {
    await b.stop();
  }
});

test('with the store unreachable at start, the instance starts, warns once, is not ready, and applies the overrides when the store answers', async () => {
  // A store address that answered once and is now dead; it comes back on the same port below.
  const lost = await startRedis();
  await lost.stop();
  const b = await startGateway({ ...env, REDIS_URL: lost.url });
  let back: RedisServer | undefined;
  try {
    const warns = b.child
      .output()
      .split('\n')
      .filter((l) => l.includes('persisted overrides'));
    assert.equal(warns.length, 1, b.child.output());
    assert.match(warns[0], /"level":"warn"|"level":40/);
    assert.match(warns[0], /figway:flags/);
    assert.match(warns[0], /redis/);
    const res = await send(`${b.url}/health/ready`);
    assert.equal(res.status, 503, res.body.toString());
    assert.equal(res.json().code, 'NOT_READY');
    assert.match(res.json().checks.overrides, /^not read/);
    // The store comes back holding the rollback: the instance reads it on reconnect and becomes ready.
    back = await startRedis(lost.port);
    const flags = execFileSync('redis-cli', ['-p', String(redis.port), 'GET', 'figway:flags'])
      .toString()
      .trim();
    // Written, then published as an operator's change is: whether B's first read comes before or after the write,
    // it gets the rollback (from the store, or from the message on the channel it subscribed to before reading).
    execFileSync('redis-cli', ['-p', String(back.port), 'SET', 'figway:flags', flags, 'PX', '60000']);
    execFileSync('redis-cli', ['-p', String(back.port), 'PUBLISH', 'figway:flags', flags]);
    await waitReady(b, 10_000);
    assert.equal((await send(`${b.url}/health/ready`)).json().checks.overrides, 'read');
    await waitFor(async () => (await send(`${b.url}/api/v1/reports/x`)).json().side === 'legacy', 2_000);
  } finally {
    await b.stop();
    await back?.stop();
  }
});
