import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startRedis, type RedisServer } from '../support/redis';
import { waitFor } from '../support/wait';

// The fault's schedule within the load (kill at KILL_AT_MS, restart at RESTART_AT_MS): a timeline the test sets,
// not waits for an event.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LOAD_MS = 6_000;
const KILL_AT_MS = 2_000;
const RESTART_AT_MS = 4_000;
const LOOPS = 4;
const URLS = ['/api/v1/items/1', '/api/v1/items/2', '/api/v1/items/3'];

/** Always the redis-server that is running now: the test replaces the first one. */
let redis: RedisServer | undefined;
let upstream: CountingUpstream;
let gw: RunningGateway;

interface Sample {
  /** When the request was sent, in ms since the load began. */
  at: number;
  ms: number;
  status: number;
  cache?: string;
  error?: string;
}

before(async () => {
  redis = await startRedis();
  upstream = await startCountingUpstream((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'public, max-age=60' });
    res.end(`item at ${req.url}`);
  });
  const routes = routesFile('routes:\n  - { id: v1, path: /api/v1/*, target: legacy }\n');
  gw = await startGateway({ LEGACY_URL: upstream.url, REDIS_URL: redis.url, ROUTES_FILE: routes, RATE_LIMIT: 'off' });
  await waitReady(gw);
});
after(async () => {
  await gw?.stop();
  await upstream?.close();
  await redis?.stop();
});

test('Redis dying and coming back under load costs no request and no slow answer, and caching resumes', async (t) => {
  const port = redis!.port;
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const samples: Sample[] = [];

  async function one(url: string): Promise<Sample> {
    const at = now();
    try {
      // Well past the 1 s budget, so a hang is reported as a slow request rather than stopping the test.
      const res = await send(`${gw.url}${url}`, { timeoutMs: 5_000 });
      return { at, ms: now() - at, status: res.status, cache: res.headers['x-cache'] as string | undefined };
    } catch (err) {
      return { at, ms: now() - at, status: 0, error: (err as Error).message };
    }
  }

  async function loop(offset: number): Promise<void> {
    for (let i = offset; now() < LOAD_MS; i++) samples.push(await one(URLS[i % URLS.length]));
  }

  let killedAt = Infinity;
  let restartedAt = Infinity;
  async function fault(): Promise<void> {
    await sleep(KILL_AT_MS);
    await redis!.stop();
    redis = undefined;
    killedAt = now();
    await sleep(Math.max(0, RESTART_AT_MS - now()));
    redis = await startRedis(port);
    restartedAt = now();
  }

  await Promise.all([fault(), ...Array.from({ length: LOOPS }, (_, i) => loop(i))]);

  const slowest = samples.reduce((a, b) => (b.ms > a.ms ? b : a));
  const duringOutage = samples.filter((s) => s.at > killedAt && s.at + s.ms < restartedAt);
  t.diagnostic(
    `${samples.length} requests, ${duringOutage.length} within the outage, slowest ${Math.round(slowest.ms)} ms`,
  );
  const failed = samples.filter((s) => s.status !== 200);
  assert.deepEqual(failed, [], `${failed.length} of ${samples.length} requests failed`);
  assert.ok(slowest.ms < 1_000, `a request sent at ${Math.round(slowest.at)} ms took ${Math.round(slowest.ms)} ms`);
  assert.ok(
    samples.some((s) => s.cache === 'HIT' && s.at < killedAt),
    'nothing was served from the cache before Redis died',
  );
  assert.ok(duringOutage.length >= LOOPS, `only ${duringOutage.length} requests ran while Redis was down`);

  // The client reconnects with a back-off (up to 2 s), so a HIT may need a few more rounds after the load.
  if (!samples.some((s) => s.cache === 'HIT' && s.at > restartedAt)) {
    await waitFor(
      async () => {
        let hit = false;
        for (const url of URLS) {
          const s = await one(url);
          assert.equal(s.status, 200, s.error);
          if (s.cache === 'HIT') hit = true;
        }
        return hit;
      },
      10_000,
      { what: 'a HIT after Redis came back (the cache resuming)', stepMs: 500 },
    );
  }
});
