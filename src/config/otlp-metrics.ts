import type { RawEnv } from './env.schema';

/** Where and how the gateway pushes its metrics over OTLP; undefined in GatewayConfig when it does not. */
export interface OtlpMetricsConfig {
  /** The full URL of the metrics endpoint (…/v1/metrics). */
  url: string;
  protocol: 'http/protobuf' | 'http/json';
  intervalMs: number;
  timeoutMs: number;
}

const PROTOCOLS = ['http/protobuf', 'http/json'] as const;

/**
 * The OpenTelemetry specification's rules (Protocol Exporter, "Endpoint URLs for OTLP/HTTP"): the per-signal
 * endpoint is used as is; the shared one is a base to which `v1/metrics` is appended; unset, the collector's
 * OTLP/HTTP port on localhost. http/protobuf is the default protocol.
 */
function endpointOf(e: RawEnv): string {
  if (e.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT) return e.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT;
  const base = e.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!base) return 'http://localhost:4318/v1/metrics';
  return base.endsWith('/') ? `${base}v1/metrics` : `${base}/v1/metrics`;
}

function endpointKey(e: RawEnv): string {
  return e.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT ? 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
}

/**
 * OTEL_METRICS_EXPORTER=otlp (and no `none` in the list, which the SDK reads as "no exporter"), unless
 * OTEL_SDK_DISABLED=true. The endpoint and protocol are checked only then: tracing reads the same shared variables
 * and accepts more (grpc, left to the SDK), so they must not stop a start that pushes no metrics.
 */
export function otlpMetricsFrom(e: RawEnv): { config?: OtlpMetricsConfig; problems: string[] } {
  const wanted = e.OTEL_METRICS_EXPORTER.includes('otlp') && !e.OTEL_METRICS_EXPORTER.includes('none');
  if (!wanted || e.OTEL_SDK_DISABLED) return { problems: [] };
  const problems: string[] = [];
  const url = endpointOf(e);
  if (!/^https?:$/.test(URL.canParse(url) ? new URL(url).protocol : ''))
    problems.push(`${endpointKey(e)}: must be an http(s) URL when OTEL_METRICS_EXPORTER=otlp`);
  const protocolKey = e.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL
    ? 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = e.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL || e.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf';
  if (!(PROTOCOLS as readonly string[]).includes(protocol))
    problems.push(`${protocolKey}: metrics are pushed over http/protobuf or http/json, not ${protocol}`);
  if (problems.length) return { problems };
  return {
    problems,
    config: {
      url,
      protocol: protocol as OtlpMetricsConfig['protocol'],
      intervalMs: e.OTEL_METRIC_EXPORT_INTERVAL,
      // The periodic reader refuses a timeout longer than its interval; the specification bounds it the same way.
      timeoutMs: Math.min(e.OTEL_METRIC_EXPORT_TIMEOUT, e.OTEL_METRIC_EXPORT_INTERVAL),
    },
  };
}
