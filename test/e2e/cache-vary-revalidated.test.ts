import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { waitFor } from '../support/wait';

// Only to let an entry's lifetime run out: time passing is the condition there, not an event to await.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let upstream: CountingUpstream;
let gw: RunningGateway;
const conditional: (string | undefined)[] = [];

before(async () => {
  // The first answer lives 1 s (+2 s stale-while-revalidate); the revalidation's 304 extends it to 60 s.
  upstream = await startCountingUpstream((req, res, n) => {
    const inm = req.headers['if-none-match'] as string | undefined;
    conditional.push(inm);
    const head = { etag: '"menu-v1"', vary: 'Accept-Language', 'content-type': 'text/plain' };
    if (n === 1) {
      res.writeHead(200, { ...head, 'cache-control': 'public, max-age=1, stale-while-revalidate=2' });
      return res.end('menu v1');
    }
    if (inm === '"menu-v1"') {
      res.writeHead(304, { ...head, 'cache-control': 'public, max-age=60' });
      return res.end();
    }
    res.writeHead(200, { ...head, 'cache-control': 'public, max-age=60' });
    res.end(`menu fetched again, request #${n}`);
  });
  const routes = routesFile('routes:\n  - { id: menu, path: /menu/*, target: legacy }\n');
  gw = await startGateway({ LEGACY_URL: upstream.url, ROUTES_FILE: routes, RATE_LIMIT: 'off' });
});
after(async () => {
  await gw?.stop();
  await upstream?.close();
});

const get = () => send(`${gw.url}/menu/today`, { headers: { 'accept-language': 'en' } });

test('a Vary entry refreshed by a 304 stays a HIT for its new lifetime', async () => {
  assert.equal((await get()).headers['x-cache'], 'MISS');
  await sleep(1_500);
  assert.equal((await get()).headers['x-cache'], 'STALE');
  // The background revalidation lands once the upstream's 304 is in; from then on the entry is fresh for 60 s.
  await waitFor(async () => conditional.length >= 2 && (await get()).headers['x-cache'] === 'HIT', 2_000, {
    what: 'the 304 revalidation to refresh the entry (a HIT)',
    stepMs: 100,
  });
  assert.equal(conditional[1], '"menu-v1"');
  // Past the first answer's whole lifetime (1 s + 2 s), well inside the refreshed 60 s.
  await sleep(2_000);
  const later = await get();
  assert.equal(later.headers['x-cache'], 'HIT', `the refreshed entry was lost: ${later.body.toString()}`);
  assert.equal(later.body.toString(), 'menu v1');
  assert.equal(upstream.hits(), 2);
});
