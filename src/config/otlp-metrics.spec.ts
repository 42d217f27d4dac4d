import assert from 'node:assert/strict';
import { test } from 'node:test';
import { envSchema } from './env.schema';
import { otlpMetricsFrom } from './otlp-metrics';

const from = (env: Record<string, string>) => otlpMetricsFrom(envSchema.parse(env));

test('no OTLP metrics unless OTEL_METRICS_EXPORTER names otlp (and neither none nor OTEL_SDK_DISABLED=true)', () => {
  assert.deepEqual(from({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }), { problems: [] });
  assert.deepEqual(from({ OTEL_METRICS_EXPORTER: 'prometheus' }), { problems: [] });
  assert.deepEqual(from({ OTEL_METRICS_EXPORTER: 'otlp,none' }), { problems: [] });
  assert.deepEqual(from({ OTEL_METRICS_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'TRUE' }), { problems: [] });
  assert.throws(() => envSchema.parse({ OTEL_METRICS_EXPORTER: 'console' }), /otlp, prometheus or none/);
});

test('the endpoint follows the specification: the metrics one as is, the shared one + /v1/metrics, else localhost', () => {
  assert.equal(from({ OTEL_METRICS_EXPORTER: 'otlp' }).config?.url, 'http://localhost:4318/v1/metrics');
  assert.equal(
    from({ OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' }).config?.url,
    'http://c:4318/v1/metrics',
  );
  assert.equal(
    from({
      OTEL_METRICS_EXPORTER: 'prometheus, otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'https://m:443/ingest',
    }).config?.url,
    'https://m:443/ingest',
  );
});

test('protocol, interval and timeout: http/protobuf by default, grpc refused naming the variable, timeout <= interval', () => {
  const c = from({ OTEL_METRICS_EXPORTER: 'otlp', OTEL_METRIC_EXPORT_INTERVAL: '5000' }).config!;
  assert.deepEqual(c, {
    url: 'http://localhost:4318/v1/metrics',
    protocol: 'http/protobuf',
    intervalMs: 5000,
    timeoutMs: 5000,
  });
  assert.equal(
    from({
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
    }).config?.protocol,
    'http/json',
  );
  assert.deepEqual(from({ OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).problems, [
    'OTEL_EXPORTER_OTLP_PROTOCOL: metrics are pushed over http/protobuf or http/json, not grpc',
  ]);
  assert.deepEqual(
    from({ OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'collector:4318' }).problems,
    ['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: must be an http(s) URL when OTEL_METRICS_EXPORTER=otlp'],
  );
  // Tracing may use grpc on the shared variable: without metrics push it stops nothing.
  assert.deepEqual(from({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).problems, []);
});
