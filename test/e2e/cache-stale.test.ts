import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send, type RawResponse } from '../support/http';
import { waitFor } from '../support/wait';

// Only to let an entry's lifetime run out: time passing is the condition there, not an event to await.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Past a max-age of 1 s with room for Age rounding, well inside the 30/60 s stale windows. */
const PAST_MAX_AGE_MS = 1_500;
/** How long the revalidating upstream takes: a client that waited for it could not be answered under this. */
const SLOW_REVALIDATION_MS = 2_000;

let upstream: CountingUpstream;
/** A second upstream, on its own route, that the test shuts down entirely. */
let doomed: CountingUpstream;
let gw: RunningGateway;
const seen = new Map<string, number>();
const hitsFor = (path: string) => seen.get(path) ?? 0;

async function timed(p: Promise<RawResponse>): Promise<{ res: RawResponse; ms: number }> {
  const t0 = performance.now();
  const res = await p;
  return { res, ms: performance.now() - t0 };
}

before(async () => {
  upstream = await startCountingUpstream((req, res) => {
    const path = req.url ?? '/';
    const n = (seen.get(path) ?? 0) + 1;
    seen.set(path, n);
    if (path === '/s/swr') {
      if (n === 1) {
        res.writeHead(200, {
          'cache-control': 'public, max-age=1, stale-while-revalidate=30',
          'content-type': 'text/plain',
        });
        return res.end('version 1');
      }
      // The new version lives long, so the HIT asserted later cannot itself turn stale on a slow machine.
      setTimeout(() => {
        res.writeHead(200, { 'cache-control': 'public, max-age=60', 'content-type': 'text/plain' });
        res.end(`version ${n}`);
      }, SLOW_REVALIDATION_MS);
      return;
    }
    if (path === '/s/sie') {
      if (n === 1) {
        res.writeHead(200, { 'cache-control': 'public, max-age=1, stale-if-error=60', 'content-type': 'text/plain' });
        return res.end('the good version');
      }
      res.writeHead(503, { 'content-type': 'text/plain' });
      return res.end('upstream is overloaded');
    }
    res.writeHead(404);
    res.end();
  });
  doomed = await startCountingUpstream((_req, res) => {
    res.writeHead(200, { 'cache-control': 'public, max-age=1, stale-if-error=60', 'content-type': 'text/plain' });
    res.end('written before the upstream went away');
  });
  const routes = routesFile(`
routes:
  - { id: s, path: /s/*, target: legacy }
  - { id: doomed, path: /doomed/*, target: "${doomed.url}" }
`);
  gw = await startGateway({ LEGACY_URL: upstream.url, ROUTES_FILE: routes, RATE_LIMIT: 'off' });
});
after(async () => {
  await gw?.stop();
  await Promise.all([upstream?.close(), doomed?.close()]);
});

test('stale-while-revalidate: a stale entry is served at once while the upstream is asked in the background', async () => {
  const first = await send(`${gw.url}/s/swr`);
  assert.equal(first.headers['x-cache'], 'MISS');
  await sleep(PAST_MAX_AGE_MS);

  const { res: stale, ms } = await timed(send(`${gw.url}/s/swr`));
  assert.equal(stale.status, 200);
  assert.equal(stale.headers['x-cache'], 'STALE');
  assert.equal(stale.body.toString(), 'version 1');
  assert.ok(
    ms < SLOW_REVALIDATION_MS / 2,
    `the stale answer took ${Math.round(ms)} ms, as if it waited for the upstream`,
  );

  // Requests during the revalidation keep getting the stale copy; once it lands, the new version is a HIT.
  let latest = stale;
  await waitFor(
    async () => {
      latest = await send(`${gw.url}/s/swr`);
      assert.equal(latest.status, 200);
      return latest.headers['x-cache'] === 'HIT';
    },
    15_000,
    { what: 'the background revalidation to replace the stale entry (a HIT)', stepMs: 200 },
  );
  assert.equal(latest.body.toString(), 'version 2');
  assert.equal(hitsFor('/s/swr'), 2, 'the stale requests set off more than one revalidation');
});

test('stale-if-error: when the upstream answers 503, the client gets the stale copy with status 200', async () => {
  const first = await send(`${gw.url}/s/sie`);
  assert.equal(first.headers['x-cache'], 'MISS');
  await sleep(PAST_MAX_AGE_MS);
  const res = await send(`${gw.url}/s/sie`);
  assert.equal(res.status, 200);
  assert.equal(res.headers['x-cache'], 'STALE');
  assert.equal(res.body.toString(), 'the good version');
  assert.equal(hitsFor('/s/sie'), 2, 'the stale copy was served without asking the upstream');
});

test('stale-if-error: when the upstream is gone entirely, the client gets the stale copy with status 200', async () => {
  const first = await send(`${gw.url}/doomed/page`);
  assert.equal(first.headers['x-cache'], 'MISS');
  await doomed.close();
  await sleep(PAST_MAX_AGE_MS);
  const { res, ms } = await timed(send(`${gw.url}/doomed/page`));
  assert.equal(res.status, 200, res.body.toString());
  assert.equal(res.headers['x-cache'], 'STALE');
  assert.equal(res.body.toString(), 'written before the upstream went away');
  assert.ok(ms < 3_000, `the stale answer took ${Math.round(ms)} ms`);
});
