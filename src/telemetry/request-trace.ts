import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Tracer } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { VERSION } from '../version';
import { redactQuery, tracingOn } from './tracing';

/**
 * The server span of each request, made from the gateway's own Fastify hooks rather than by
 * @opentelemetry/instrumentation-http. With that instrumentation the bench's tracing row ran at 0.38x the plain
 * gateway's req/s (2.96x its CPU per request), and with sampling off, no span recorded at all, the gateway still
 * spent about twice its CPU per request: it re-binds every listener of every request and response to the context
 * (each event then enters AsyncLocalStorage again), patches methods onto each response object, and parses the URL
 * and forwarding headers before any sampling decision. What the gateway needs is less: a SERVER span continuing
 * the caller's trace, active while the request is handled so that the forwarder, ioredis and undici see it.
 */

/** Gateway-own endpoints polled by probes and scrapers: a span every few seconds per pod says nothing. */
const UNTRACED = /^\/(health|metrics)(\/|$)/;

/** Per request, for the access log once the response is over. */
const traces = new WeakMap<FastifyRequest, Context>();
let tracer: Tracer | undefined;

/**
 * The last thing the gateway's onRequest hook does: with tracing on, starts the server span and runs the rest of
 * the request (later hooks, the handler, the forwarder) inside its context. AsyncLocalStorage carries it across
 * the async hooks (rate limiter, auth) and through body parsing (checked with a body arriving in two packets) into
 * Nest handlers. Without tracing, just `done()`.
 */
export function enterRequestTrace(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  if (!tracingOn()) return done();
  // Fastify builds a fresh routeOptions object on every read: once.
  const options = request.routeOptions;
  const route = options.url;
  const routeId = (options.config as { routeId?: string } | undefined)?.routeId;
  if (route && UNTRACED.test(route)) return done();
  tracer ??= trace.getTracer('figway', VERSION);
  // The caller's traceparent/tracestate/baggage, if any: its trace id continues here.
  const parent = propagation.extract(ROOT_CONTEXT, request.headers);
  const method = request.method;
  // Attributes go on after the sampling decision (the SDK's samplers do not look at them): a request that is not
  // sampled costs ids and a context, not the work of describing it.
  const span = tracer.startSpan(route ? `${method} ${route}` : method, { kind: SpanKind.SERVER }, parent);
  const ctx = trace.setSpan(parent, span);
  // Also for unsampled requests: the access log and the upstream still get the trace id.
  traces.set(request, ctx);
  if (span.isRecording()) {
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
  }
  context.with(ctx, done);
}

export function traceIdOf(request: FastifyRequest): string | undefined {
  const ctx = traces.get(request);
  return ctx && trace.getSpan(ctx)?.spanContext().traceId;
}
