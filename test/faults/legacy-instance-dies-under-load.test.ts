// Pass criterion: LEGACY_URL lists three instances; 8 clients send GETs back to back for 3 s; one instance is closed
// (listener closed, every open connection destroyed, so requests in flight on it are cut) 1 s in. Zero GETs may
// fail: a connect failure moves to another instance and a reset is retried, so the client never sees the death.
// After the death the dead instance gets no more requests and the two others share the load.
// The upstream-failures e2e test covers an instance dead from the start with sequential GETs; this one kills an
// instance that holds warm keep-alive connections while requests are flowing through them.
import type { ServerResponse } from 'node:http';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';

const WORKERS = 8;
const RUN_MS = 3_000;
const KILL_AT_MS = 1_000;

let instances: CountingUpstream[];
let gw: RunningGateway;

before(async () => {
  // A small delay keeps requests in flight on every instance at any moment, so the kill cuts some of them.
  const slowish = (_req: unknown, res: ServerResponse, n: number) => {
    setTimeout(() => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ n }));
    }, 5);
  };
  instances = await Promise.all([0, 1, 2].map(() => startCountingUpstream(slowish)));
  gw = await startGateway({
    LEGACY_URL: instances.map((u) => u.url).join(','),
    RATE_LIMIT: 'off',
    CACHE_ENABLED: 'false',
  });
});

after(async () => {
  await gw?.stop();
  await Promise.all(instances.map((u) => u.close().catch(() => undefined)));
});

test('one of three legacy instances dying mid-run costs no GET', async () => {
  const failures: string[] = [];
  let ok = 0;
  const started = performance.now();
  let hitsAtKill = -1;
  const killer = (async () => {
    // The fault's schedule within the load (KILL_AT_MS in): a timeline the test sets, not a wait for an event.
    await new Promise((r) => setTimeout(r, KILL_AT_MS));
    const victim = instances[1];
    // server.close() alone would let keep-alive sockets live on; closeAllConnections cuts them, as a crash does.
    victim.server.close();
    victim.server.closeAllConnections();
    hitsAtKill = victim.hits();
  })();
  await Promise.all(
    Array.from({ length: WORKERS }, async (_, w) => {
      for (let i = 0; performance.now() - started < RUN_MS; i++) {
        try {
          const res = await send(`${gw.url}/api/v1/items?w=${w}&i=${i}`, { timeoutMs: 10_000 });
          if (res.status === 200) ok++;
          else failures.push(`${res.status} ${res.body.toString()}`);
        } catch (err) {
          failures.push(`client error: ${(err as Error).message}`);
        }
      }
    }),
  );
  await killer;
  const [a, dead, c] = instances.map((u) => u.hits());
  console.log(
    `# instance death: ${ok} GETs ok, ${failures.length} failed; hits ${a}/${dead}/${c}, dead one had ${hitsAtKill} at the kill`,
  );
  assert.deepEqual(failures, [], `${failures.length} of ${ok + failures.length} GETs failed`);
  assert.ok(ok > 100, `only ${ok} GETs ran, too few to show anything`);
  assert.ok(hitsAtKill > 0, 'the victim had served nothing before the kill');
  assert.equal(dead, hitsAtKill, 'the closed instance was still counting requests');
  assert.ok(a > hitsAtKill && c > hitsAtKill, `the survivors did not take over: ${a}/${c}`);
});
