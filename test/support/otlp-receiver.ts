import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';

/** A span as the fake collector received it, attributes and events flattened to plain values. */
export interface ReceivedSpan {
  service: string;
  scope: string;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
}

export const SERVER = 2;
export const CLIENT = 3;

/** One data point of a received metric: a number (sum, gauge) or a histogram's buckets. */
export interface ReceivedPoint {
  attributes: Record<string, unknown>;
  value?: number;
  count?: number;
  sum?: number;
  explicitBounds?: number[];
  bucketCounts?: number[];
}

/** A metric as the fake collector received it in one export (http/json). */
export interface ReceivedMetric {
  service: string;
  name: string;
  kind: 'sum' | 'gauge' | 'histogram' | 'other';
  /** For sums: whether they only grow, and 2 = cumulative (OTLP AggregationTemporality). */
  isMonotonic?: boolean;
  temporality?: number;
  points: ReceivedPoint[];
}

/** A request to /v1/metrics as received: its content type and raw body (for the http/protobuf protocol). */
export interface ReceivedExport {
  contentType: string;
  body: Buffer;
}

/** A fake OTLP/HTTP collector: keeps every span (http/json) and metric (http/json; protobuf kept raw) it is sent. */
export interface Receiver {
  url: string;
  spans: ReceivedSpan[];
  metrics: ReceivedMetric[];
  metricExports: ReceivedExport[];
  /** Raw request bodies, to check what never leaves the gateway. */
  bodies: string[];
  waitFor(pred: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  waitForMetrics(pred: (metrics: ReceivedMetric[]) => boolean, timeoutMs?: number): Promise<ReceivedMetric[]>;
  close(): Promise<void>;
}

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type KeyValue = { key: string; value: AnyValue };
const valueOf = (v: AnyValue) => v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue;
const attributesOf = (kvs: KeyValue[] | undefined) =>
  Object.fromEntries((kvs ?? []).map((a) => [a.key, valueOf(a.value)]));

const num = (v: unknown) => (v === undefined ? undefined : Number(v));

type JsonPoint = {
  attributes?: KeyValue[];
  asDouble?: number;
  asInt?: string | number;
  count?: string | number;
  sum?: number;
  explicitBounds?: number[];
  bucketCounts?: (string | number)[];
};

function pointOf(p: JsonPoint): ReceivedPoint {
  return {
    attributes: attributesOf(p.attributes),
    value: num(p.asDouble ?? p.asInt),
    count: num(p.count),
    sum: p.sum,
    explicitBounds: p.explicitBounds,
    bucketCounts: p.bucketCounts?.map(Number),
  };
}

/** OTLP/JSON metrics (ExportMetricsServiceRequest) flattened: one ReceivedMetric per metric per export. */
function metricsOf(body: string): ReceivedMetric[] {
  const doc = JSON.parse(body) as {
    resourceMetrics: { resource: { attributes: KeyValue[] }; scopeMetrics: { metrics: any[] }[] }[];
  };
  const out: ReceivedMetric[] = [];
  for (const rm of doc.resourceMetrics) {
    const service = String(valueOf(rm.resource.attributes.find((a) => a.key === 'service.name')?.value ?? {}));
    for (const sm of rm.scopeMetrics) {
      for (const m of sm.metrics) {
        const kind = m.sum ? 'sum' : m.gauge ? 'gauge' : m.histogram ? 'histogram' : 'other';
        const data = m.sum ?? m.gauge ?? m.histogram ?? {};
        out.push({
          service,
          name: m.name,
          kind,
          isMonotonic: m.sum?.isMonotonic,
          temporality: data.aggregationTemporality,
          points: ((data.dataPoints ?? []) as JsonPoint[]).map(pointOf),
        });
      }
    }
  }
  return out;
}

export async function startReceiver(): Promise<Receiver> {
  const spans: ReceivedSpan[] = [];
  const metrics: ReceivedMetric[] = [];
  const metricExports: ReceivedExport[] = [];
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/metrics') {
        const contentType = req.headers['content-type'] ?? '';
        metricExports.push({ contentType, body: Buffer.concat(chunks) });
        if (contentType.startsWith('application/json')) metrics.push(...metricsOf(Buffer.concat(chunks).toString()));
        res.setHeader('content-type', contentType.startsWith('application/json') ? 'application/json' : contentType);
        // An empty ExportMetricsServiceResponse: `{}` in JSON, no bytes in protobuf.
        return res.end(contentType.startsWith('application/json') ? '{}' : '');
      }
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.statusCode = 404;
        return res.end();
      }
      const body = Buffer.concat(chunks).toString('utf8');
      bodies.push(body);
      const doc = JSON.parse(body) as {
        resourceSpans: {
          resource: { attributes: { key: string; value: AnyValue }[] };
          scopeSpans: { scope: { name: string }; spans: any[] }[];
        }[];
      };
      for (const rs of doc.resourceSpans) {
        const service = String(valueOf(rs.resource.attributes.find((a) => a.key === 'service.name')?.value ?? {}));
        for (const ss of rs.scopeSpans) {
          for (const s of ss.spans) {
            spans.push({
              service,
              scope: ss.scope.name,
              name: s.name,
              kind: s.kind,
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              attributes: attributesOf(s.attributes),
              statusCode: s.status?.code ?? 0,
              events: (s.events ?? []).map((e: { name: string; attributes?: KeyValue[] }) => ({
                name: e.name,
                attributes: attributesOf(e.attributes),
              })),
            });
          }
        }
      }
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    spans,
    metrics,
    metricExports,
    bodies,
    async waitForMetrics(pred, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pred(metrics)) {
        if (Date.now() > deadline)
          throw new Error(
            `metrics not received in ${timeoutMs} ms; got ${metricExports.length} exports: ${JSON.stringify(metrics.slice(-40))}`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
      return metrics;
    },
    async waitFor(pred, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pred(spans)) {
        if (Date.now() > deadline)
          throw new Error(`spans not received in ${timeoutMs} ms; got ${JSON.stringify(spans, null, 1)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return spans;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** `00-<trace id>-<parent id>-<flags>` */
export function parseTraceparent(value: string | string[] | undefined): { traceId: string; parentId: string } {
  assert.equal(typeof value, 'string', `exactly one traceparent reached the upstream: ${JSON.stringify(value)}`);
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(value as string);
  assert.ok(m, `a valid W3C traceparent: ${value}`);
  return { traceId: m[1], parentId: m[2] };
}
