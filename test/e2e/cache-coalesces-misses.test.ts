import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';

let upstream: CountingUpstream;
let gw: RunningGateway;

before(async () => {
  // Slow enough that all 20 requests are inside the gateway before the first answer comes back.
  upstream = await startCountingUpstream((_req, res, n) => {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'public, max-age=60' });
      res.end(`report built by upstream request #${n}`);
    }, 300);
  });
  const routes = routesFile('routes:\n  - { id: reports, path: /reports/*, target: legacy }\n');
  // A lock timeout far above the upstream's 300 ms, so a slow CI machine does not turn waiters into extra misses.
  gw = await startGateway({
    LEGACY_URL: upstream.url,
    ROUTES_FILE: routes,
    RATE_LIMIT: 'off',
    CACHE_LOCK_TIMEOUT_MS: '15000',
  });
});
after(async () => {
  await gw?.stop();
  await upstream?.close();
});

test('20 concurrent GETs for one uncached URL reach the upstream once and all get the same body', async () => {
  const results = await Promise.all(
    Array.from({ length: 20 }, () => send(`${gw.url}/reports/daily`, { timeoutMs: 15_000 })),
  );
  assert.equal(upstream.hits(), 1);
  for (const r of results) {
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'report built by upstream request #1');
  }
  const verdicts = results.map((r) => r.headers['x-cache']);
  assert.equal(verdicts.filter((v) => v === 'MISS').length, 1, verdicts.join(','));
  assert.equal(verdicts.filter((v) => v === 'HIT').length, 19, verdicts.join(','));
});
