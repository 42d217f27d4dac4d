/* eslint-disable @typescript-eslint/no-require-imports -- the metrics SDK and exporter load only when OTLP push is on */
import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import type * as OtlpProto from '@opentelemetry/exporter-metrics-otlp-proto';
import type * as OtlpJson from '@opentelemetry/exporter-metrics-otlp-http';
import type * as Resources from '@opentelemetry/resources';
import type * as SdkMetrics from '@opentelemetry/sdk-metrics';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { OtlpMetricsConfig } from '../config';
import { VERSION } from '../version';
import type * as Producer from './prom-metric-producer';

export interface OtlpMetrics {
  /** One last export of the current values, then stop; call once the server no longer takes requests. */
  shutdown(): Promise<void>;
}

function exporterFor(config: OtlpMetricsConfig): PushMetricExporter {
  const options = { url: config.url, timeoutMillis: config.timeoutMs };
  if (config.protocol === 'http/json') {
    const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-http') as typeof OtlpJson;
    return new OTLPMetricExporter(options);
  }
  const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-proto') as typeof OtlpProto;
  return new OTLPMetricExporter(options);
}

/**
 * The SDK reports a failed export only to its diagnostics logger, which the gateway does not install: this says it
 * in the gateway's log instead, once when pushes start failing and once when they succeed again, not every interval.
 */
function reporting(exporter: PushMetricExporter, log: FastifyBaseLogger, url: string): PushMetricExporter {
  let failing = false;
  return {
    export(metrics, done) {
      exporter.export(metrics, (result) => {
        const ok = result.code === 0; // ExportResultCode.SUCCESS
        if (!ok && !failing)
          log.warn({ err: result.error?.message, url }, 'OTLP metrics push failed; /metrics still serves them');
        else if (ok && failing) log.info({ url }, 'OTLP metrics push succeeds again');
        failing = !ok;
        done(result);
      });
    },
    forceFlush: () => exporter.forceFlush(),
    shutdown: () => exporter.shutdown(),
  };
}

/**
 * OTLP as a second outlet for the gateway's metrics (OTEL_METRICS_EXPORTER=otlp): every interval, the periodic reader
 * asks the producer for the prom-client registry's series (PromMetricProducer) and pushes them to the collector, the
 * same names and labels /metrics serves. The SDK's MeterProvider is there only because a reader needs one to be
 * bound to; no instrument is ever made on it. Off (undefined config), none of this is even loaded.
 *
 * Besides what src/config reads, the exporter takes OTEL_EXPORTER_OTLP_HEADERS / _METRICS_HEADERS, _COMPRESSION and
 * the TLS certificate variables from the environment itself, as the tracing side's does.
 */
export function startOtlpMetrics(
  config: OtlpMetricsConfig | undefined,
  registry: Registry,
  log: FastifyBaseLogger,
): OtlpMetrics | undefined {
  if (!config) return undefined;
  const { MeterProvider, PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics') as typeof SdkMetrics;
  const { defaultResource, detectResources, envDetector, resourceFromAttributes } =
    require('@opentelemetry/resources') as typeof Resources;
  const { PromMetricProducer } = require('./prom-metric-producer') as typeof Producer;
  // As the tracing side's: figway's name and version, under OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES if set.
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': 'figway', 'service.version': VERSION }))
    .merge(detectResources({ detectors: [envDetector] }));
  const reader = new PeriodicExportingMetricReader({
    exporter: reporting(exporterFor(config), log, config.url),
    exportIntervalMillis: config.intervalMs,
    exportTimeoutMillis: config.timeoutMs,
    metricProducers: [new PromMetricProducer(registry, resource)],
  });
  const provider = new MeterProvider({ resource, readers: [reader] });
  return { shutdown: () => provider.shutdown() };
}
