import { propagation } from '@opentelemetry/api';
/* eslint-disable @typescript-eslint/no-require-imports -- the SDK and exporters load lazily, only when tracing is on */
import type * as OtlpProto from '@opentelemetry/exporter-trace-otlp-proto';
import type * as OtlpJson from '@opentelemetry/exporter-trace-otlp-http';
import type * as Resources from '@opentelemetry/resources';
import type * as IoRedisInstrumentation from '@opentelemetry/instrumentation-ioredis';
import type * as SdkNode from '@opentelemetry/sdk-node';
import type * as SdkTrace from '@opentelemetry/sdk-trace';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { VERSION } from '../version';
import { PooledIdGenerator } from './trace-ids';

/**
 * OpenTelemetry tracing, started before Nest and outside dependency injection: the ioredis instrumentation patches
 * the module as it loads, so this must run before anything loads ioredis (see start-tracing.ts).
 *
 * Who makes which span: the server span of each request comes from the gateway's onRequest hook
 * (request-trace.ts says why not from @opentelemetry/instrumentation-http); the forwarder records the upstream
 * exchange on it, or in a client span per attempt with TRACE_UPSTREAM_SPANS (upstream-trace.ts); the chat model
 * call comes from the chat service (llm-trace.ts), and Redis commands from the ioredis instrumentation.
 *
 * There is no undici instrumentation: subscribed to undici's diagnostics channels, it made every forwarded request pay
 * for five channel messages and its handlers, even though the forwarder records the exchange itself (the measured cost:
 * bench/README.md, "Figures behind code comments"). The gateway's remaining outbound calls of its own (legacy session
 * introspection, importing legacy chat history, JWKS refreshes) are therefore not traced.
 *
 * The OpenTelemetry SDK reads the standard OTEL_* variables itself (exporter, protocol, headers, sampler, batch
 * delays, resource attributes, OTEL_SERVICE_NAME, OTEL_SDK_DISABLED): that is the contract operators and the
 * collector's docs already speak, so those variables are not copied through src/config. The one decision taken
 * here from them is whether to start at all.
 */

export interface Tracing {
  /** Flushes buffered spans to the exporter and stops it; call once the server no longer takes requests. */
  shutdown(): Promise<void>;
  /**
   * The start-up exports' outcome (see warmUpExporter): undefined when the collector took them, else why not.
   * Never rejects; already settled when the exporter is not one the gateway builds itself.
   */
  collectorCheck: Promise<string | undefined>;
}

let active = false;

/** True once the SDK runs; the forwarder asks, so that with tracing off client trace headers pass untouched. */
export function tracingOn(): boolean {
  return active;
}

let fields: string[] | undefined;

/** The header fields the configured propagators read and write (traceparent, tracestate, baggage by default). */
export function traceFields(): string[] {
  return (fields ??= propagation.fields());
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

/**
 * The OTLP/HTTP exporter, built here rather than by the SDK when the environment asks for exactly the SDK's default
 * (OTEL_TRACES_EXPORTER unset or `otlp`, over http/protobuf or http/json), so that warmUpExporter can use it.
 * Any other choice (grpc, zipkin, console, a list) is left to the SDK, which reads the same variables.
 */
function otlpHttpExporter(env: NodeJS.ProcessEnv): SpanExporter | undefined {
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').trim();
  if (exporters !== '' && exporters !== 'otlp') return undefined;
  const protocol =
    (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? '').trim() || 'http/protobuf';
  if (protocol === 'http/protobuf') {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto') as typeof OtlpProto;
    return new OTLPTraceExporter();
  }
  if (protocol === 'http/json') {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof OtlpJson;
    return new OTLPTraceExporter();
  }
  return undefined;
}

/**
 * Sends the collector empty batches (valid OTLP requests with no spans) at start-up, before any traffic.
 *
 * Two reasons. An operator learns at boot, not at the first sampled request, that the collector is unreachable or
 * refuses the exporter (main.ts logs it). And the exporter's HTTP client (node's http: a ClientRequest fed by a
 * Readable, a client-side IncomingMessage, an agent socket) shares its stream and http code with the gateway's
 * own request path; when its first export came only after V8 had optimised that path for the server's objects
 * alone, some 40 hot functions (Readable.push, Writable.write, OutgoingMessage._storeHeader, ...) were
 * deoptimised and recompiled (`--trace-deopt`), and the tracing gateway settled measurably slower than with the
 * exchanges below made at start-up (`npm run bench:paired`; the figures are in bench/README.md, "Tracing cost").
 */
const WARM_UP_EXPORTS = 16;

async function warmUpExporter(exporter: SpanExporter): Promise<string | undefined> {
  // Several, one after the other: V8 keeps type feedback for a function only from about its eighth call on
  // (lazy feedback allocation), and the later ones go over the kept-alive connection as real exports do.
  for (let i = 0; i < WARM_UP_EXPORTS; i++) {
    const err = await new Promise<string | undefined>((resolve) => {
      try {
        exporter.export([], (result) =>
          resolve(
            result.code === 0 /* ExportResultCode.SUCCESS */ ? undefined : (result.error?.message ?? 'export failed'),
          ),
        );
      } catch (e) {
        resolve((e as Error).message);
      }
    });
    if (err) return err;
  }
  return undefined;
}

export function startTracing(env: NodeJS.ProcessEnv = process.env): Tracing | undefined {
  if (!tracingWanted(env)) return undefined;
  // Loaded only when tracing is on: the SDK brings every exporter it supports (gRPC and protobuf included), which a
  // gateway without a collector should not load at all.
  const { NodeSDK: SDK } = require('@opentelemetry/sdk-node') as typeof SdkNode;
  const { resourceFromAttributes, defaultResource } = require('@opentelemetry/resources') as typeof Resources;
  const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis') as typeof IoRedisInstrumentation;
  const { StackContextManager } = require('@opentelemetry/sdk-trace') as typeof SdkTrace;

  const traceExporter = otlpHttpExporter(env);
  const sdk: NodeSDK = new SDK({
    // Wrapped by the SDK in its BatchSpanProcessor from OTEL_BSP_*, as its own choice would be.
    traceExporter,
    // A context that follows synchronous calls only, not the SDK's AsyncLocalStorage one. On Node 20, AsyncLocalStorage
    // works through async_hooks: once a store is entered, every async resource in the process (each promise, nextTick,
    // socket write, timer) pays an init hook, traced or not, sampled or not: a share of the gateway's CPU per request
    // worth avoiding (bench/README.md, "Figures behind code comments"; Node 24's AsyncContextFrame removes the cost,
    // Node 20 has no such option). The gateway hands the request's context on explicitly where its work crosses an
    // await: the forwarder and the chat read it from the request (request-trace.ts), the async hooks, the cache lookup
    // and the chat's store calls enter it, so the instrumentation, which reads the active context when a command is
    // issued, sees it. Work that starts after an await outside those sees ROOT: its spans are left out (the
    // instrumentations require a parent), never attached to the wrong request.
    contextManager: new StackContextManager(),
    idGenerator: new PooledIdGenerator(),
    // The base resource; the env detector (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) is merged over it.
    resource: defaultResource().merge(resourceFromAttributes({ 'service.name': 'figway', 'service.version': VERSION })),
    // Traces only: metrics stay with prom-client on /metrics and logs with pino on stdout. Without these two the
    // SDK would also start OTLP metric and log exporters from the environment, and the instrumentations would
    // record duration histograms on every request.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new IORedisInstrumentation({
        // Keys name sessions, users and client addresses; the command name is what a trace needs.
        dbStatementSerializer: (cmdName: string) => cmdName,
      }),
    ],
  });
  sdk.start();
  active = true;
  const collectorCheck = traceExporter ? warmUpExporter(traceExporter) : Promise.resolve(undefined);
  return {
    collectorCheck,
    async shutdown() {
      if (!active) return;
      active = false;
      await sdk.shutdown();
    },
  };
}
