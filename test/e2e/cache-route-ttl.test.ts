import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';

let upstream: CountingUpstream;
let gw: RunningGateway;
const seen = new Map<string, number>();
const hitsFor = (path: string) => seen.get(path) ?? 0;

before(async () => {
  upstream = await startCountingUpstream((req, res) => {
    const path = req.url ?? '/';
    const n = (seen.get(path) ?? 0) + 1;
    seen.set(path, n);
    res.setHeader('content-type', 'text/plain');
    if (path.endsWith('/nostore')) res.setHeader('cache-control', 'no-store');
    if (path.endsWith('/short')) res.setHeader('cache-control', 'public, max-age=1');
    // Anything else states no lifetime at all, like many legacy pages.
    res.end(`${path} #${n}`);
  });
  const routes = routesFile(`
routes:
  - { id: ttl, path: /ttl/*, target: legacy, cache: { ttl_s: 60 } }
  - { id: plain, path: /plain/*, target: legacy }
`);
  gw = await startGateway({ LEGACY_URL: upstream.url, ROUTES_FILE: routes, RATE_LIMIT: 'off' });
});
after(async () => {
  await gw?.stop();
  await upstream?.close();
});

test('a route ttl caches a response that states no lifetime, and clients never see the injected Cache-Control', async () => {
  const miss = await send(`${gw.url}/ttl/page`);
  const hit = await send(`${gw.url}/ttl/page`);
  assert.equal(miss.headers['x-cache'], 'MISS');
  assert.equal(hit.headers['x-cache'], 'HIT');
  assert.equal(hit.body.toString(), '/ttl/page #1');
  assert.equal(hitsFor('/ttl/page'), 1);
  assert.equal(miss.headers['cache-control'], undefined);
  assert.equal(hit.headers['cache-control'], undefined, `a HIT carried Cache-Control: ${hit.headers['cache-control']}`);
});

test('without a route ttl the same kind of response is not stored (no heuristic lifetime)', async () => {
  for (let i = 1; i <= 2; i++) {
    const res = await send(`${gw.url}/plain/page`);
    assert.equal(res.body.toString(), `/plain/page #${i}`);
    assert.notEqual(res.headers['x-cache'], 'HIT');
  }
  assert.equal(hitsFor('/plain/page'), 2);
});

test('an upstream no-store on a route with a ttl is still never stored', async () => {
  for (let i = 1; i <= 3; i++) {
    const res = await send(`${gw.url}/ttl/nostore`);
    assert.equal(res.body.toString(), `/ttl/nostore #${i}`);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.notEqual(res.headers['x-cache'], 'HIT');
  }
  assert.equal(hitsFor('/ttl/nostore'), 3);
});

test("the upstream's own max-age wins over the route ttl", async () => {
  const first = await send(`${gw.url}/ttl/short`);
  assert.equal(first.headers['cache-control'], 'public, max-age=1');
  // Time passing is the condition (max-age=1 running out), not an event to await.
  await new Promise((r) => setTimeout(r, 1_500));
  const later = await send(`${gw.url}/ttl/short`);
  assert.notEqual(later.headers['x-cache'], 'HIT', "the entry outlived the upstream's max-age=1");
  assert.equal(later.body.toString(), '/ttl/short #2');
  assert.equal(later.headers['cache-control'], 'public, max-age=1');
});
