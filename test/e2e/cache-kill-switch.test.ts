import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';

let upstream: CountingUpstream;
let disabled: RunningGateway;
let enabled: RunningGateway;
const seen = new Map<string, number>();
const hitsFor = (path: string) => seen.get(path) ?? 0;

before(async () => {
  // Every answer is as cacheable as it gets, so only the gateway's configuration can explain a pass-through.
  upstream = await startCountingUpstream((req, res) => {
    const n = (seen.get(req.url ?? '') ?? 0) + 1;
    seen.set(req.url ?? '', n);
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'public, max-age=600' });
    res.end(`answer #${n}`);
  });
  const routes = routesFile(`
routes:
  - { id: live, path: /live/*, target: legacy, cache: off }
  - { id: docs, path: /docs/*, target: legacy }
`);
  const env = { LEGACY_URL: upstream.url, ROUTES_FILE: routes, RATE_LIMIT: 'off' };
  [disabled, enabled] = await Promise.all([startGateway({ ...env, CACHE_ENABLED: 'false' }), startGateway(env)]);
});
after(async () => {
  await Promise.all([disabled?.stop(), enabled?.stop()]);
  await upstream?.close();
});

test('with CACHE_ENABLED=false there is no X-Cache header and every request reaches the upstream', async () => {
  for (let i = 1; i <= 3; i++) {
    const res = await send(`${disabled.url}/docs/guide`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-cache'], undefined);
    assert.equal(res.body.toString(), `answer #${i}`);
  }
  assert.equal(hitsFor('/docs/guide'), 3);
});

test('a route with cache: off passes every request through, while a route without it caches', async () => {
  for (let i = 1; i <= 3; i++) {
    const res = await send(`${enabled.url}/live/scores`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-cache'], undefined);
    assert.equal(res.body.toString(), `answer #${i}`);
  }
  assert.equal(hitsFor('/live/scores'), 3);

  const miss = await send(`${enabled.url}/docs/faq`);
  const hit = await send(`${enabled.url}/docs/faq`);
  assert.equal(miss.headers['x-cache'], 'MISS');
  assert.equal(hit.headers['x-cache'], 'HIT');
  assert.equal(hit.body.toString(), 'answer #1');
  assert.equal(hitsFor('/docs/faq'), 1);
});
