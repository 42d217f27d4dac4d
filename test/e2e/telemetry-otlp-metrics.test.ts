import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCountingUpstream } from '../support/counting-upstream';
import { startGateway } from '../support/gateway';
import { send } from '../support/http';
import { startReceiver, type ReceivedMetric } from '../support/otlp-receiver';

const BOUNDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

test('OTEL_METRICS_EXPORTER=otlp pushes the prom-client series: gateway_requests_total and the duration histogram with their labels', async (t) => {
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  const upstream = await startCountingUpstream((_req, res) => res.end('ok'));
  t.after(() => upstream.close());
  const gw = await startGateway({
    LEGACY_URL: upstream.url,
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.url}/v1/metrics`,
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
    OTEL_METRIC_EXPORT_INTERVAL: '200',
  });
  t.after(() => gw.stop());
  for (let i = 0; i < 3; i++) assert.equal((await send(`${gw.url}/api/v1/items/${i}`)).status, 200);

  const requests = (ms: ReceivedMetric[]) =>
    ms
      .filter((m) => m.name === 'gateway_requests_total')
      .flatMap((m) => m.points.map((p) => ({ m, p })))
      .find(({ p }) => p.attributes.route === 'v1' && p.value === 3);
  const durations = (ms: ReceivedMetric[]) =>
    ms
      .filter((m) => m.name === 'gateway_request_duration_seconds')
      .flatMap((m) => m.points.map((p) => ({ m, p })))
      .find(({ p }) => p.attributes.route === 'v1' && p.count === 3);
  const metrics = await receiver.waitForMetrics((ms) => Boolean(requests(ms) && durations(ms)), 20_000);

  const counter = requests(metrics)!;
  assert.deepEqual(counter.p.attributes, { route: 'v1', target: 'legacy', method: 'GET', status: '200' });
  assert.equal(counter.m.kind, 'sum');
  assert.equal(counter.m.isMonotonic, true);
  assert.equal(counter.m.temporality, 2, 'cumulative, as prom-client counts');
  assert.equal(counter.m.service, 'figway');

  const histogram = durations(metrics)!;
  assert.equal(histogram.m.kind, 'histogram');
  assert.deepEqual(histogram.p.attributes, { route: 'v1', target: 'legacy' });
  assert.deepEqual(histogram.p.explicitBounds, BOUNDS);
  // One count per bucket (not cumulative), one more above the highest bound; they add up to the count.
  assert.equal(histogram.p.bucketCounts?.length, BOUNDS.length + 1);
  assert.equal(
    histogram.p.bucketCounts?.reduce((a, b) => a + b, 0),
    3,
  );
  assert.ok(histogram.p.sum! > 0 && histogram.p.sum! < 30 * 3, `sum ${histogram.p.sum}`);
});
