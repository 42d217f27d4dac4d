import type { Attributes } from '@opentelemetry/api';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import type { UndiciRequest } from '@opentelemetry/instrumentation-undici';
import { VERSION } from '../version';
import { SyncContextManager } from './sync-context';

/**
 * OpenTelemetry tracing, started before Nest and outside dependency injection: instrumentations patch modules as
 * they load, so this must run before anything loads undici or ioredis (see start-tracing.ts).
 *
 * Who makes which span: the server span of each request comes from the gateway's onRequest hook
 * (request-trace.ts says why not from @opentelemetry/instrumentation-http), the client span of each forwarded call
 * from the forwarder (upstream-trace.ts), Redis commands from the ioredis instrumentation, and the gateway's other
 * undici calls (legacy session introspection, JWKS) from the undici instrumentation.
 *
 * The OpenTelemetry SDK reads the standard OTEL_* variables itself (exporter, protocol, headers, sampler, batch
 * delays, resource attributes, OTEL_SERVICE_NAME, OTEL_SDK_DISABLED): that is the contract operators and the
 * collector's docs already speak, so those variables are not copied through src/config. The one decision taken
 * here from them is whether to start at all.
 */

export interface Tracing {
  /** Flushes buffered spans to the exporter and stops it; call once the server no longer takes requests. */
  shutdown(): Promise<void>;
}

let active = false;

/** True once the SDK runs; the forwarder asks, so that with tracing off client trace headers pass untouched. */
export function tracingOn(): boolean {
  return active;
}

/**
 * With no OTLP endpoint nothing would receive the spans, so the SDK is not even loaded: no patched modules, no
 * per-request spans, no log line. OTEL_SDK_DISABLED=true always wins.
 */
export function tracingWanted(env: NodeJS.ProcessEnv): boolean {
  if (/^\s*true\s*$/i.test(env.OTEL_SDK_DISABLED ?? '')) return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/**
 * Query strings carry tokens, signed-URL signatures and personal data; spans keep the parameter names (useful to
 * tell requests apart) but never the values.
 */
export function redactQuery(query: string): string {
  if (query === '' || query === '?') return query;
  const body = query.startsWith('?') ? query.slice(1) : query;
  const parts = body.split('&').map((p) => {
    const eq = p.indexOf('=');
    return eq < 0 ? p : `${p.slice(0, eq)}=REDACTED`;
  });
  return (query.startsWith('?') ? '?' : '') + parts.join('&');
}

/** Attributes that replace the instrumentation's url.full and url.query, which would keep the query values. */
function redactedClientUrl(request: UndiciRequest): Attributes {
  const q = request.path.indexOf('?');
  if (q < 0) return {};
  const query = redactQuery(request.path.slice(q));
  return { 'url.full': `${request.origin}${request.path.slice(0, q)}${query}`, 'url.query': query.slice(1) };
}

function carriesTraceparent(request: UndiciRequest): boolean {
  const h = request.headers;
  // undici 6+ keeps [name, value, name, value, ...]; undici 5 a raw header block.
  if (typeof h === 'string') return /(^|\r\n)traceparent:/i.test(h);
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i];
    if (typeof name === 'string' && name.length === 11 && name.toLowerCase() === 'traceparent') return true;
  }
  return false;
}

export function startTracing(env: NodeJS.ProcessEnv = process.env): Tracing | undefined {
  if (!tracingWanted(env)) return undefined;
  // Loaded only when tracing is on: the SDK brings every exporter it supports (gRPC and protobuf included), which a
  // gateway without a collector should not load at all.
  const { NodeSDK: SDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { resourceFromAttributes, defaultResource } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
  const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis');

  const sdk: NodeSDK = new SDK({
    contextManager: new SyncContextManager(),
    // The base resource; the env detector (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) is merged over it.
    resource: defaultResource().merge(resourceFromAttributes({ 'service.name': 'figway', 'service.version': VERSION })),
    // Traces only: metrics stay with prom-client on /metrics and logs with pino on stdout. Without these two the
    // SDK would also start OTLP metric and log exporters from the environment, and the instrumentations would
    // record duration histograms on every request.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new UndiciInstrumentation({
        // Outside a request (JWKS refreshes at start-up) a root span per call is noise.
        requireParentforSpans: true,
        // The forwarder makes its own client span and headers (upstream-trace.ts says why); a request that already
        // carries a traceparent was propagated by its caller and would otherwise get a second one.
        ignoreRequestHook: carriesTraceparent,
        startSpanHook: redactedClientUrl,
      }),
      new IORedisInstrumentation({
        // Keys name sessions, users and client addresses; the command name is what a trace needs.
        dbStatementSerializer: (cmdName: string) => cmdName,
      }),
    ],
  });
  sdk.start();
  active = true;
  return {
    async shutdown() {
      if (!active) return;
      active = false;
      await sdk.shutdown();
    },
  };
}
