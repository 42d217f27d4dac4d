import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { freePort } from '../support/ports';

/** METRICS_PORT keeps /metrics off the public listener (and so off the Ingress), serving it on its own port. */
let upstream: CountingUpstream;
let gw: RunningGateway;
let metricsUrl: string;

before(async () => {
  upstream = await startCountingUpstream();
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}`;
  gw = await startGateway({ LEGACY_URL: upstream.url, METRICS_PORT: String(port), RATE_LIMIT: 'off' });
});
after(async () => {
  await gw?.stop();
  await upstream?.close();
});

test('with METRICS_PORT, /metrics is served there and the public port answers 404 problem+json', async () => {
  assert.equal((await send(`${gw.url}/api/v1/items`)).status, 200);
  const scrape = await send(`${metricsUrl}/metrics`);
  assert.equal(scrape.status, 200);
  assert.match(String(scrape.headers['content-type']), /^text\/plain/);
  assert.match(
    scrape.body.toString(),
    /gateway_requests_total\{[^}]*target="legacy"[^}]*\} 1/,
    'the traffic on the public port is counted',
  );
  const publicScrape = await send(`${gw.url}/metrics`);
  assert.equal(publicScrape.status, 404);
  assert.match(String(publicScrape.headers['content-type']), /application\/problem\+json/);
  assert.doesNotMatch(publicScrape.body.toString(), /gateway_requests_total/);
});

test('the metrics port serves nothing else', async () => {
  assert.equal((await send(`${metricsUrl}/api/v1/items`)).status, 404);
  assert.equal((await send(`${metricsUrl}/health`)).status, 404);
  assert.equal((await send(`${metricsUrl}/metrics`, { method: 'POST', body: 'x' })).status, 404);
});
