import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, type MetricData } from '@opentelemetry/sdk-metrics';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PromMetricProducer } from './prom-metric-producer';

async function collect(registry: Registry): Promise<Map<string, MetricData>> {
  const producer = new PromMetricProducer(registry, resourceFromAttributes({ 'service.name': 'test' }));
  const { resourceMetrics, errors } = await producer.collect();
  assert.deepEqual(errors, []);
  assert.equal(resourceMetrics.scopeMetrics.length, 1);
  return new Map(resourceMetrics.scopeMetrics[0].metrics.map((m) => [m.descriptor.name, m]));
}

test('counters become cumulative monotonic sums and gauges gauges, one point per label set', async () => {
  const registry = new Registry();
  const c = new Counter({ name: 'c_total', help: 'c', labelNames: ['route'], registers: [registry] });
  const g = new Gauge({ name: 'g', help: 'g', registers: [registry] });
  c.inc({ route: 'a' }, 2);
  c.inc({ route: 'b' });
  g.set(7);
  const out = await collect(registry);
  const sum = out.get('c_total')!;
  assert.equal(sum.dataPointType, DataPointType.SUM);
  assert.equal(sum.aggregationTemporality, AggregationTemporality.CUMULATIVE);
  assert.ok(sum.dataPointType === DataPointType.SUM && sum.isMonotonic);
  assert.equal(sum.descriptor.description, 'c');
  assert.deepEqual(
    sum.dataPoints.map((p) => [p.attributes, p.value]),
    [
      [{ route: 'a' }, 2],
      [{ route: 'b' }, 1],
    ],
  );
  const gauge = out.get('g')!;
  assert.equal(gauge.dataPointType, DataPointType.GAUGE);
  assert.deepEqual(
    gauge.dataPoints.map((p) => p.value),
    [7],
  );
});

test("histograms: prom-client's cumulative le buckets become per-bucket counts plus the overflow bucket", async () => {
  const registry = new Registry();
  const h = new Histogram({ name: 'h', help: 'h', labelNames: ['route'], buckets: [1, 5, 10], registers: [registry] });
  for (const v of [0.5, 0.7, 3, 12, 40]) h.observe({ route: 'a' }, v);
  h.observe({ route: 'b' }, 6);
  const m = (await collect(registry)).get('h')!;
  assert.equal(m.dataPointType, DataPointType.HISTOGRAM);
  assert.deepEqual(
    m.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })),
    [
      {
        attributes: { route: 'a' },
        value: { buckets: { boundaries: [1, 5, 10], counts: [2, 1, 0, 2] }, sum: 56.2, count: 5 },
      },
      {
        attributes: { route: 'b' },
        value: { buckets: { boundaries: [1, 5, 10], counts: [0, 0, 1, 0] }, sum: 6, count: 1 },
      },
    ],
  );
});

test('a labelled series nothing recorded yet is left out', async () => {
  const registry = new Registry();
  new Counter({ name: 'never_total', help: 'n', labelNames: ['x'], registers: [registry] });
  assert.equal((await collect(registry)).has('never_total'), false);
});
