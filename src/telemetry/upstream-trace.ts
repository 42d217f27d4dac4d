import { propagation, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { VERSION } from '../version';
import { redactQuery, traceFields } from './tracing';

/**
 * What the trace records of a forwarded request's upstream exchange, and the trace headers the upstream gets; made by
 * the forwarder itself rather than by the undici instrumentation.
 *
 * That instrumentation starts its span and injects `traceparent` when undici creates its internal Request, in
 * whatever context is current then. For `pool.dispatch` that is the caller's only while the pool has a free
 * connection: once all UPSTREAM_CONNECTIONS are busy, the pool queues the dispatch and creates the Request when
 * another exchange finishes, so the upstream would be handed the *previous* request's trace id (seen in testing
 * with UPSTREAM_CONNECTIONS=1). Here the parent is the request's own context (traceContextOf), and the headers are
 * set before undici sees them. The instrumentation is not loaded at all (tracing.ts says why).
 */

/** The forwarder's undici handler (src/proxy/upstream-response.ts): the span watches it through `observer`. */
export interface ObservableHandler {
  observer: { head(statusCode: number): void; done(err?: Error): void } | undefined;
}

export interface UpstreamCall {
  method: string;
  /** `http://host:port` of the instance picked for this attempt. */
  origin: string;
  /** Path and query as sent upstream. */
  path: string;
}

let tracer: Tracer | undefined;
/** server.address and server.port per upstream origin: a handful of origins, parsed once instead of per request. */
const servers = new Map<string, { address: string; port: number }>();

function serverOf(origin: string): { address: string; port: number } {
  let s = servers.get(origin);
  if (!s) {
    const url = new URL(origin);
    s = { address: url.hostname, port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80) };
    servers.set(origin, s);
  }
  return s;
}

/**
 * Replaces the client's trace headers in `headers` with the ones naming the gateway's span, and has `handler`
 * (its `observer`) record the upstream exchange when the request is sampled. Which span records it is chosen once
 * per route at boot (TRACE_UPSTREAM_SPANS): `traceUpstream` or `traceUpstreamSpan`.
 */
export type UpstreamTracer = <H extends ObservableHandler>(
  parent: Context,
  handler: H,
  call: UpstreamCall,
  headers: Record<string, string | string[]>,
) => H;

/** The request's SERVER span stands for the exchange too, and the upstream is told it is its parent. */
export const traceUpstream: UpstreamTracer = (parent, handler, call, headers) => {
  const serverSpan = trace.getSpan(parent);
  // No server span (a path the gateway does not trace): the caller's trace headers pass as they came.
  if (!serverSpan) return handler;
  replaceTraceHeaders(parent, headers);
  if (serverSpan.isRecording()) {
    serverSpan.setAttribute('figway.upstream.origin', call.origin);
    handler.observer = new ServerSpanObserver(serverSpan, call.origin);
  }
  return handler;
};

/** A CLIENT span per upstream attempt, under the request's SERVER span; the upstream is told it is its parent. */
export const traceUpstreamSpan: UpstreamTracer = (parent, handler, call, headers) => {
  const serverSpan = trace.getSpan(parent);
  if (!serverSpan) return handler;
  // An unsampled request records nothing: the upstream is told the trace id (and that it is not sampled) with the
  // server span as parent, which spares a span, its ids and a context per request.
  if (!serverSpan.isRecording()) {
    replaceTraceHeaders(parent, headers);
    return handler;
  }
  tracer ??= trace.getTracer('figway', VERSION);
  const span = tracer.startSpan(call.method, { kind: SpanKind.CLIENT }, parent);
  replaceTraceHeaders(trace.setSpan(parent, span), headers);
  const server = serverOf(call.origin);
  const q = call.path.indexOf('?');
  span.setAttributes({
    'http.request.method': call.method,
    'server.address': server.address,
    'server.port': server.port,
    'url.full': q < 0 ? call.origin + call.path : call.origin + call.path.slice(0, q) + redactQuery(call.path.slice(q)),
  });
  handler.observer = new SpanObserver(span);
  return handler;
};

/**
 * The client's traceparent/tracestate/baggage were already taken in by the server span (its trace id continues);
 * passed on as well, the upstream would get two traceparent fields.
 */
function replaceTraceHeaders(ctx: Context, headers: Record<string, string | string[]>): void {
  for (const f of traceFields()) if (headers[f] !== undefined) delete headers[f];
  propagation.inject(ctx, headers);
}

/**
 * Records the exchange on the request's SERVER span: the upstream's status, and each failed attempt as an event
 * (a retried attempt is not the request's outcome; the span's own status says how the request ended).
 */
class ServerSpanObserver {
  constructor(
    private readonly span: Span,
    private readonly origin: string,
  ) {}

  head(statusCode: number): void {
    this.span.setAttribute('figway.upstream.status_code', statusCode);
  }

  done(err?: Error): void {
    if (err) {
      this.span.addEvent('upstream_failed', {
        'figway.upstream.origin': this.origin,
        'error.type': (err as NodeJS.ErrnoException).code ?? err.name ?? 'Error',
        'error.message': err.message,
      });
    }
  }
}

/** Ends the client span with the exchange: status on the head, error or success at the end. */
class SpanObserver {
  constructor(private readonly span: Span) {}

  head(statusCode: number): void {
    this.span.setAttribute('http.response.status_code', statusCode);
    // HTTP client spans: any 4xx/5xx is an error (the server side only counts 5xx).
    if (statusCode >= 400) {
      this.span.setAttribute('error.type', String(statusCode));
      this.span.setStatus({ code: SpanStatusCode.ERROR });
    }
  }

  done(err?: Error): void {
    if (err) {
      this.span.setAttribute('error.type', (err as NodeJS.ErrnoException).code ?? err.name ?? 'Error');
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
    }
    this.span.end();
  }
}
