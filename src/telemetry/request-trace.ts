import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Tracer,
} from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { VERSION } from '../version';
import { redactQuery, traceFields, tracingOn } from './tracing';

/**
 * The server span of each request, made from the gateway's own Fastify hooks rather than by
 * @opentelemetry/instrumentation-http. That instrumentation cost the gateway a multiple of its CPU per request, even
 * with sampling off and no span recorded at all (bench/README.md, "Figures behind code comments"): it re-binds every
 * listener of every request and response to the context (each event then enters AsyncLocalStorage again), patches
 * methods onto each response object, and parses the URL and forwarding headers before any sampling decision. What the
 * gateway needs is less: a SERVER span continuing the caller's trace, active while the request is handled so that the
 * forwarder, ioredis and undici see it.
 */

/** Gateway-own endpoints polled by probes and scrapers: a span every few seconds per pod says nothing. */
const UNTRACED = /^\/(health|metrics)(\/|$)/;

// Per request (src/request-slots.ts): `figwayTrace`, sampled or not (the trace id for the access log, the context to
// hand on to legacy and the model), and `figwayTraceRecorded`, sampled only (what `traced` hooks enter).
let tracer: Tracer | undefined;

/** Most requests at an edge carry no trace context: extracting from them would only allocate. */
function carriesTraceContext(headers: FastifyRequest['headers']): boolean {
  for (const f of traceFields()) if (headers[f] !== undefined) return true;
  return false;
}

/**
 * The last thing the gateway's onRequest hook does: with tracing on, starts the server span, keeps its context for
 * the request (traceContextOf) and runs the rest of the hook chain that follows synchronously inside it. Past an
 * await the context is handed on explicitly (`traced` hooks, the forwarder, the chat service): see
 * tracing.ts for why there is no AsyncLocalStorage. Without tracing, just `done()`.
 */
export function enterRequestTrace(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  if (!tracingOn()) return done();
  // Fastify builds a fresh routeOptions object on every read: once.
  const options = request.routeOptions;
  const route = options.url;
  const routeId = options.config?.routeId;
  if (route && UNTRACED.test(route)) return done();
  tracer ??= trace.getTracer('figway', VERSION);
  // The caller's traceparent/tracestate/baggage, if any: its trace id continues here.
  const parent = carriesTraceContext(request.headers)
    ? propagation.extract(ROOT_CONTEXT, request.headers)
    : ROOT_CONTEXT;
  const method = request.method;
  // Attributes go on after the sampling decision (the SDK's samplers do not look at them): a request that is not
  // sampled costs ids and a context, not the work of describing it.
  const span = tracer.startSpan(route ? `${method} ${route}` : method, { kind: SpanKind.SERVER }, parent);
  const ctx = trace.setSpan(parent, span);
  // Also for unsampled requests: the access log and the upstream still get the trace id.
  request.figwayTrace = ctx;
  // Not sampled: nothing downstream records a span, so there is no context to enter; the forwarder and the model
  // call read the trace id from traceContextOf.
  if (!span.isRecording()) return done();
  request.figwayTraceRecorded = ctx;
  const url = request.raw.url ?? '/';
  const q = url.indexOf('?');
  span.setAttributes({
    'http.request.method': method,
    'url.scheme': request.protocol,
    'url.path': q < 0 ? url : url.slice(0, q),
    'http.route': route,
    'figway.route': routeId,
    'client.address': request.ip,
  });
  if (q >= 0) span.setAttribute('url.query', redactQuery(url.slice(q + 1)));
  const res = reply.raw;
  // 'close' comes for every response, finished or cut short, where Fastify's onResponse misses aborted ones.
  res.once('close', () => {
    const status = res.headersSent ? res.statusCode : 499;
    span.setAttribute('http.response.status_code', status);
    // Server spans: only 5xx are the server's errors (4xx are the caller's).
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  context.with(ctx, done);
}

/**
 * The request's trace context (its server span), or undefined when tracing is off or the path is not traced.
 * Passed on explicitly: the context manager does not follow awaits (tracing.ts says why).
 */
export function traceContextOf(request: FastifyRequest): Context | undefined {
  return request.figwayTrace ?? undefined;
}

/**
 * An async onRequest hook that runs inside the request's trace context, so that what it starts before its first
 * await (the limiter's Redis command, a token check) joins the request's trace. Decided at registration: with
 * tracing off the hook is returned as it is.
 */
export function traced<H extends (request: FastifyRequest, reply: FastifyReply) => unknown>(hook: H): H {
  if (!tracingOn()) return hook;
  return ((request: FastifyRequest, reply: FastifyReply) => inRequestTrace(request, () => hook(request, reply))) as H;
}

/** The same for a callback-style hook (one that calls `done`, or answers without calling it). */
export function tracedCallback(
  hook: (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void,
): (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void {
  if (!tracingOn()) return hook;
  return (request, reply, done) => inRequestTrace(request, () => hook(request, reply, done));
}

/** Runs `fn` inside the request's trace context (or just runs it when the request is not sampled). */
export function inRequestTrace<T>(request: FastifyRequest, fn: () => T): T {
  const ctx = request.figwayTraceRecorded;
  return ctx ? context.with(ctx, fn) : fn();
}

export function traceIdOf(request: FastifyRequest): string | undefined {
  const ctx = request.figwayTrace;
  return ctx ? trace.getSpan(ctx)?.spanContext().traceId : undefined;
}
