import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { admin, ADMIN_TOKEN } from '../support/migration';

let upstream: CountingUpstream;
let gw: RunningGateway;
let noCache: RunningGateway;

before(async () => {
  upstream = await startCountingUpstream((req, res, n) => {
    res.setHeader('cache-control', 'public, max-age=300');
    res.end(`${req.url} #${n}`);
  });
  [gw, noCache] = await Promise.all([
    startGateway({ LEGACY_URL: upstream.url, RATE_LIMIT: 'off', ADMIN_TOKEN }),
    startGateway({ LEGACY_URL: upstream.url, RATE_LIMIT: 'off', ADMIN_TOKEN, CACHE_ENABLED: 'false' }),
  ]);
});
after(async () => {
  await Promise.all([gw?.stop(), noCache?.stop()]);
  await upstream?.close();
});

test('cache_enabled=false through the admin API turns the cache off at once; null gives it back', async () => {
  await send(`${gw.url}/api/v1/c`);
  assert.equal((await send(`${gw.url}/api/v1/c`)).headers['x-cache'], 'HIT');
  const put = await admin(gw.url, 'PUT', '/admin/flags', { cache_enabled: false });
  assert.deepEqual(put.json().cache_enabled, { value: false, source: 'admin' });
  const off = await send(`${gw.url}/api/v1/c`);
  assert.equal(off.headers['x-cache'], undefined);
  assert.match(off.body.toString(), /#2$/, 'answered by the upstream');
  assert.match((await send(`${gw.url}/metrics`)).body.toString(), /gateway_flag\{name="cache_enabled"\} 0/);
  await admin(gw.url, 'PUT', '/admin/flags', { cache_enabled: null });
  assert.equal((await send(`${gw.url}/api/v1/c`)).headers['x-cache'], 'HIT');
});

test('CACHE_ENABLED=false in the environment cannot be undone at run time', async () => {
  const put = await admin(noCache.url, 'PUT', '/admin/flags', { cache_enabled: true });
  assert.equal(put.status, 409);
  assert.equal(put.json().code, 'FLAG_FORCED_BY_ENV');
  assert.deepEqual((await admin(noCache.url, 'GET', '/admin/flags')).json().cache_enabled, {
    value: false,
    source: 'env',
  });
});
