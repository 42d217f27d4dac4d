import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';

let upstream: CountingUpstream;
let gw: RunningGateway;

before(async () => {
  upstream = await startCountingUpstream((req, res) => {
    res.statusCode = req.url?.includes('missing') ? 404 : 200;
    res.setHeader('cache-control', req.url?.includes('cached') ? 'public, max-age=60' : 'no-store');
    res.end('x');
  });
  const routes = routesFile(`
routes:
  - id: v2-meta
    path: /api/v2/meta
    target: module:meta
  - id: limited
    path: /api/v1/limited/*
    target: legacy
    rate_limit: 1/60s
  - id: v1
    path: /api/v1/*
    target: legacy
`);
  gw = await startGateway({ LEGACY_URL: upstream.url, ROUTES_FILE: routes, RATE_LIMIT: 'off' });
});
after(async () => {
  await gw?.stop();
  await upstream?.close();
});

function series(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(name + '{') || l.startsWith(name + ' '));
}

test('after traffic /metrics names every route by its id, with target, method and status', async () => {
  await send(`${gw.url}/api/v1/items`);
  await send(`${gw.url}/api/v1/missing`, { method: 'POST', body: 'x' });
  await send(`${gw.url}/elsewhere`);
  await send(`${gw.url}/api/v2/meta`);
  const text = (await send(`${gw.url}/metrics`)).body.toString();
  const requests = series(text, 'gateway_requests_total');
  assert.ok(
    requests.some(
      (l) =>
        l.includes('route="v1"') &&
        l.includes('target="legacy"') &&
        l.includes('method="GET"') &&
        l.includes('status="200"'),
    ),
    requests.join('\n'),
  );
  assert.ok(
    requests.some((l) => l.includes('route="v1"') && l.includes('method="POST"') && l.includes('status="404"')),
  );
  assert.ok(requests.some((l) => l.includes('route="legacy-catch-all"')));
  assert.ok(requests.some((l) => l.includes('route="v2-meta"') && l.includes('target="module"')));
  assert.ok(
    series(text, 'gateway_request_duration_seconds_bucket').some(
      (l) => l.includes('route="v1"') && l.includes('le="0.005"'),
    ),
  );
  assert.ok(series(text, 'process_cpu_seconds_total').length === 1, 'process defaults are exported');
  assert.ok(series(text, 'gateway_flag').some((l) => l.includes('name="route_all_to_legacy"') && l.endsWith(' 0')));
});

test('200 distinct paths add no series: labels are route ids, never raw paths', async () => {
  const before = series((await send(`${gw.url}/metrics`)).body.toString(), 'gateway_requests_total').length;
  for (let i = 0; i < 200; i++) await send(`${gw.url}/api/v1/items/${i}?q=${i}`);
  const text = (await send(`${gw.url}/metrics`)).body.toString();
  assert.equal(series(text, 'gateway_requests_total').length, before);
  assert.doesNotMatch(text, /items\/1/);
});

test('cache results, rate-limit refusals and upstream errors are counted', async () => {
  await send(`${gw.url}/api/v1/cached`);
  await send(`${gw.url}/api/v1/cached`);
  await send(`${gw.url}/api/v1/limited/a`);
  await send(`${gw.url}/api/v1/limited/a`);
  const text = (await send(`${gw.url}/metrics`)).body.toString();
  // The series exist at 0 from boot (known-series.ts): the count must have moved.
  assert.ok(
    series(text, 'gateway_cache_total').some(
      (l) => l.includes('route="v1"') && l.includes('result="HIT"') && l.endsWith(' 1'),
    ),
    text,
  );
  assert.ok(series(text, 'gateway_rate_limited_total').some((l) => l.includes('route="limited"') && l.endsWith(' 1')));
});

test('a dead upstream shows in gateway_upstream_errors_total by origin and kind', async () => {
  const dead = await startGateway({ LEGACY_URL: 'http://127.0.0.1:9', RATE_LIMIT: 'off' });
  try {
    assert.equal((await send(`${dead.url}/api/v1/x`)).status, 502);
    const text = (await send(`${dead.url}/metrics`)).body.toString();
    assert.ok(
      series(text, 'gateway_upstream_errors_total').some(
        (l) => l.includes('upstream="http://127.0.0.1:9"') && l.includes('kind="connect"') && !l.endsWith(' 0'),
      ),
      text,
    );
    assert.ok(series(text, 'gateway_requests_total').some((l) => l.includes('status="502"')));
  } finally {
    await dead.stop();
  }
});

test('gateway_config_info names the non-boolean settings in force (auth fallback, session mode, store), value 1', async () => {
  const text = (await send(`${gw.url}/metrics`)).body.toString();
  const info = series(text, 'gateway_config_info');
  assert.equal(info.length, 1, info.join('\n'));
  for (const label of [
    'fallback_auth="off"',
    'legacy_session_mode="introspect"',
    'csp_mode="enforce"',
    'store="memory"',
    'version="',
  ]) {
    assert.ok(info[0].includes(label), `${label} in ${info[0]}`);
  }
  assert.ok(info[0].endsWith(' 1'));
});
