import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  type CollectionResult,
  type DataPoint,
  type Histogram,
  type MetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import type { Resource } from '@opentelemetry/resources';
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import { VERSION } from '../version';

type PromMetric = MetricObjectWithValues<MetricValue<string> & { metricName?: string }>;
type PromValue = PromMetric['values'][number];

function hrTime(ms: number): HrTime {
  return [Math.floor(ms / 1_000), Math.round((ms % 1_000) * 1e6)];
}

function attributesOf(labels: PromValue['labels']): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(labels)) if (v !== undefined) out[k] = String(v);
  return out;
}

function descriptor(m: PromMetric): MetricData['descriptor'] {
  return { name: m.name, description: m.help, unit: '', valueType: ValueType.DOUBLE };
}

/**
 * prom-client gives a histogram per label set as cumulative `_bucket` series (one per `le`, the last `+Inf`),
 * `_sum` and `_count`; an OTLP histogram point has the finite bounds and a count per bucket, the last one above the
 * highest bound (OTLP metrics.proto, HistogramDataPoint.bucket_counts).
 */
function histogramPoints(m: PromMetric, start: HrTime, end: HrTime): DataPoint<Histogram>[] {
  const byLabels = new Map<string, { attributes: Attributes; le: [number, number][]; sum: number; count: number }>();
  for (const v of m.values) {
    const { le, ...labels } = v.labels as Record<string, string | number | undefined>;
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
    let point = byLabels.get(key);
    if (!point) byLabels.set(key, (point = { attributes: attributesOf(labels), le: [], sum: 0, count: 0 }));
    if (v.metricName === `${m.name}_sum`) point.sum = v.value;
    else if (v.metricName === `${m.name}_count`) point.count = v.value;
    else if (le !== undefined && le !== '+Inf') point.le.push([Number(le), v.value]);
  }
  return [...byLabels.values()].map((p) => {
    p.le.sort(([a], [b]) => a - b);
    const counts = p.le.map(([, cumulative], i) => cumulative - (i ? p.le[i - 1][1] : 0));
    counts.push(p.count - (p.le.at(-1)?.[1] ?? 0));
    return {
      startTime: start,
      endTime: end,
      attributes: p.attributes,
      value: { buckets: { boundaries: p.le.map(([b]) => b), counts }, sum: p.sum, count: p.count },
    };
  });
}

/** One prom-client metric as OTel metric data; undefined for the kinds the gateway does not use (summaries). */
export function toMetricData(m: PromMetric, start: HrTime, end: HrTime): MetricData | undefined {
  const points = () =>
    m.values.map((v) => ({ startTime: start, endTime: end, attributes: attributesOf(v.labels), value: v.value }));
  const base = { descriptor: descriptor(m), aggregationTemporality: AggregationTemporality.CUMULATIVE };
  switch (String(m.type)) {
    case 'counter':
      return { ...base, dataPointType: DataPointType.SUM, isMonotonic: true, dataPoints: points() };
    case 'gauge':
      return { ...base, dataPointType: DataPointType.GAUGE, dataPoints: points() };
    case 'histogram':
      return { ...base, dataPointType: DataPointType.HISTOGRAM, dataPoints: histogramPoints(m, start, end) };
    default:
      return undefined;
  }
}

/**
 * The OpenTelemetry SDK's MetricProducer over the gateway's prom-client registry: prom-client stays the one set of
 * instruments (the hot path records once), and each periodic export reads the registry as a Prometheus scrape
 * would, gauges' collect callbacks included. prom-client's counters and histograms only grow, so the points are
 * cumulative from when this producer was made (the registry is made just before it, at start-up).
 */
export class PromMetricProducer implements MetricProducer {
  private readonly start = hrTime(Date.now());

  constructor(
    private readonly registry: Registry,
    private readonly resource: Resource,
  ) {}

  async collect(): Promise<CollectionResult> {
    const metrics = (await this.registry.getMetricsAsJSON()) as PromMetric[];
    const end = hrTime(Date.now());
    // A labelled series nothing has recorded yet has no points; an empty metric is left out, as /metrics shows it
    // only by its HELP line.
    const data = metrics
      .map((m) => toMetricData(m, this.start, end))
      .filter((d): d is MetricData => d !== undefined && d.dataPoints.length > 0);
    return {
      // The same resource as the MeterProvider's: the reader keeps that one and takes the scope metrics from here.
      resourceMetrics: {
        resource: this.resource,
        scopeMetrics: [{ scope: { name: 'figway', version: VERSION }, metrics: data }],
      },
      errors: [],
    };
  }
}
