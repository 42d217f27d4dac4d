import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { Dispatcher } from 'undici';
import { toProblem } from '../errors/problem';
import { isCorsPath } from '../security/cors';
import { stampingSink, canStamp } from '../security/html-nonce-stamper';
import { createNonce } from '../security/nonce';
import { headFacts, type ProxiedHeaders } from '../security/proxied-headers';
import { inRequestTrace, traceContextOf } from '../telemetry/request-trace';
import { traceUpstream, traceUpstreamSpan } from '../telemetry/upstream-trace';
import { splitTarget, type CompiledRoute } from '../routing';
import type { TrustFn } from './client-address';
import { writeRawProblem } from '../errors/problem-writer';
import { behindClose, closeAfter } from '../edge/closing-connections';
import { BodyTooLarge, declaredTooLarge, limitBody } from './body-limit';
import { buildUpstreamHeaders, clientHost } from './request-headers';
import { buildClientHeaders } from './response-headers';
import { classifyUpstreamError, upstreamGatewayError } from './upstream-errors';
import { UpstreamResponse, type BodyTap } from './upstream-response';
import type { Upstream, UpstreamSet } from './upstream-set';

export type { BodyTap } from './upstream-response';
export { UpstreamResponse } from './upstream-response';

/** One client request on its way through a proxied route; what a response cache needs to act on it. */
export interface Exchange {
  readonly request: FastifyRequest;
  readonly route: CompiledRoute;
  /** This request's CSP nonce (sent upstream as X-CSP-Nonce); undefined when CSP_MODE=off. */
  readonly nonce?: string;
  /**
   * Sends the request upstream, retrying per policy; resolves at the response head, rejects with the last upstream
   * error. `headers` are added to the outgoing request (conditional revalidation); `detached` calls survive the
   * client leaving (background revalidation).
   */
  call(opts?: { headers?: Record<string, string>; detached?: boolean }): Promise<UpstreamResponse>;
  /** Streams an upstream response to the client; `extra` fields are added (X-Cache). */
  relay(up: UpstreamResponse, extra?: OutgoingHttpHeaders, tap?: BodyTap): void;
  /** Answers with a complete response the gateway holds (a cache hit). */
  respond(status: number, headers: OutgoingHttpHeaders, body: Buffer): void;
  fail(err: unknown): void;
  readonly clientGone: () => boolean;
  /**
   * Sends later calls of this exchange to another side (migration fallback, src/migration): `as` gives the path
   * rewrite, timeout and the label onDone reports; `set` the upstream pool.
   */
  reroute(as: CompiledRoute, set: UpstreamSet): void;
}

/** A response cache plugged into the forwarder (see src/cache): decides per request whether it takes over. */
export interface ExchangeCache {
  takes(exchange: Exchange): boolean;
  handle(exchange: Exchange): Promise<void>;
}

export interface ForwarderOptions {
  trust: TrustFn;
  idleTimeoutMs: number;
  log: FastifyBaseLogger;
  cache?: ExchangeCache;
  /** Security headers and CSP for proxied answers; undefined leaves upstream heads as they are (unit use). */
  security?: ProxiedHeaders;
  /** CORS is configured: /api/v2 answers take the gateway's CORS fields, never the upstream's. */
  cors?: boolean;
  /** Told when a relayed event stream (text/event-stream) opens and when its response closes. */
  streams?: { opened(): void; closed(): void };
  /**
   * Called once per forwarded request when the client's response is over (metrics, access log).
   * `firstByteSeconds`: when the response head was written; undefined if the client left before that.
   */
  onDone?: (
    route: CompiledRoute,
    method: string,
    status: number,
    seconds: number,
    reply: FastifyReply,
    firstByteSeconds: number | undefined,
  ) => void;
  onUpstreamError?: (upstream: string, kind: string) => void;
  /** TRACE_UPSTREAM_SPANS: a CLIENT span per upstream attempt; otherwise the SERVER span records the exchange. */
  upstreamSpans?: boolean;
}

/** RFC 9110 9.2.2; a request that carries a body is never replayed, whatever its method. */
export const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const NO_BODY_STATUS = new Set([204, 304]);
const CLIENT_GONE = new Error('client went away');

export function hasBody(request: FastifyRequest): boolean {
  const headers = request.headers;
  const cl = headers['content-length'];
  if (cl !== undefined) return cl !== '0';
  // HTTP/2 frames a body without Content-Length or chunking: a HEADERS frame with END_STREAM means none follows.
  if (request.raw.httpVersionMajor === 2)
    return !(request.raw as unknown as { stream: { endAfterHeaders: boolean } }).stream.endAfterHeaders;
  return headers['transfer-encoding'] !== undefined;
}

export type ForwardFn = (request: FastifyRequest, reply: FastifyReply) => void;

/**
 * Replies the forwarder took over (`figwayForwarded`, src/request-slots.ts). Fastify still runs onResponse hooks
 * for a hijacked reply once its response finishes, so the gateway's hook asks this to leave them to onDone (which
 * alone knows the target, and sees clients that left): counting both would log and count each proxied request
 * twice.
 */
export function wasForwarded(reply: FastifyReply): boolean {
  return reply.figwayForwarded === true;
}

/**
 * Builds the forwarding function of one route at boot: target pool, path rewrite and timeouts are fixed here,
 * so the request path does no lookups. Bodies stream both ways through undici and are never parsed.
 */
export function createForwarder(route: CompiledRoute, set: UpstreamSet, opts: ForwarderOptions): ForwardFn {
  const { trust, idleTimeoutMs, log, cache, security } = opts;
  const bodyLimit = route.bodyLimit;
  const csp = security?.security.csp;
  const cspName = csp?.headerName;
  const traceCall = opts.upstreamSpans ? traceUpstreamSpan : traceUpstream;

  return function forward(request, reply) {
    reply.hijack();
    // Pipelined behind an answer that closes the connection (src/edge/closing-connections.ts): never forwarded.
    if (behindClose(request)) return;
    reply.figwayForwarded = true;
    const startedAt = process.hrtime.bigint();
    const req = request.raw;
    const res = reply.raw;
    const [path, query] = splitTarget(req.url ?? '/');
    let upstreamPath = route.rewrite(path) + query;
    let served = route;
    let pool = set;
    const method = req.method ?? 'GET';
    const withBody = hasBody(request);
    const isHead = method === 'HEAD';
    let gone = false;
    let inFlight: UpstreamResponse | undefined;
    /** When the response head went out (relayed, from the cache, or a problem): time to first byte. */
    let headAt: bigint | undefined;
    // Undefined when tracing is off: then nothing below touches trace headers (a client's pass untouched).
    const traceContext = traceContextOf(request);
    // CSP Level 3 7.1: a fresh nonce per response, also for bodies that turn out not to be HTML (known only later).
    const nonce = cspName ? createNonce() : undefined;
    const corsOwned = opts.cors === true && isCorsPath(path);
    res.once('close', () => {
      if (!res.writableFinished) {
        gone = true;
        inFlight?.abort(CLIENT_GONE);
      }
      // A client that left before the head was written still counts, as 499 (nginx's convention).
      const firstByte = headAt === undefined ? undefined : Number(headAt - startedAt) / 1e9;
      opts.onDone?.(
        served,
        method,
        res.headersSent ? res.statusCode : 499,
        Number(process.hrtime.bigint() - startedAt) / 1e9,
        reply,
        firstByte,
      );
    });
    const own = () => reply.getHeaders() as OutgoingHttpHeaders;
    const declaredLength = request.headers['content-length'] !== undefined;
    if (bodyLimit !== undefined && declaredTooLarge(request.headers['content-length'], bodyLimit)) {
      // The unread body is not worth draining: close once the answer is out (nginx does the same for 413).
      if (req.httpVersionMajor === 1) reply.header('connection', 'close');
      closeAfter(request);
      writeRawProblem(
        res,
        toProblem(new BodyTooLarge(bodyLimit), request.id),
        security ? security.withFixed(own()) : own(),
      );
      headAt = process.hrtime.bigint();
      return;
    }

    const call: Exchange['call'] = (o = {}) =>
      new Promise((resolve, reject) => {
        // Each kind of retry is spent at most once per request, independently: a reset retried on the same
        // instance that died meanwhile meets a refused connect, and that one may still move to another instance
        // (nothing reached the dead one). One shared flag turned exactly that into a 502 when an instance crashed
        // under load (test/faults/legacy-instance-dies-under-load). At most three attempts in all.
        const attempt = (upstream: Upstream, spent: { connect: boolean; reset: boolean }) => {
          const host = served.preserveHost ? (clientHost(request) ?? upstream.host) : upstream.host;
          const identity = request.figwayUser;
          const headers = buildUpstreamHeaders(req, trust, { requestId: request.id, host, identity, cspNonce: nonce });
          if (o.headers) Object.assign(headers, o.headers);
          const response = new UpstreamResponse(
            (head) => {
              pool.markUp(upstream);
              resolve(head);
            },
            (err) => {
              const kind = classifyUpstreamError(err);
              if (kind === 'connect') pool.markDown(upstream);
              if (err !== CLIENT_GONE) opts.onUpstreamError?.(upstream.origin, kind);
              // Nothing reached an instance that refused the connect, so a bodiless request may try another one.
              // A reset before any response head is retried once for bodiless idempotent methods (RFC 9110
              // 9.2.2), mostly a keep-alive socket the upstream closed as we reused it; a body is never replayed
              // (undici consumed the stream).
              const retry =
                !withBody &&
                !gone &&
                ((kind === 'connect' && !spent.connect && pool.hasAlternative(upstream)) ||
                  (kind === 'reset' && !spent.reset && IDEMPOTENT.has(method)));
              if (retry) {
                return attempt(kind === 'connect' ? pool.pick(upstream, withBody) : upstream, {
                  ...spent,
                  [kind]: true,
                });
              }
              if (err !== CLIENT_GONE) {
                log.warn(
                  { reqId: request.id, route: served.id, upstream: upstream.origin, kind, err },
                  'upstream request failed',
                );
              }
              reject(err);
            },
          );
          if (!o.detached) inFlight = response;
          // The instance's path prefix (LEGACY_URL=http://host/legacy), joined here: instances of a set may differ.
          const fullPath = upstream.prefix + upstreamPath;
          const handler = traceContext
            ? traceCall(traceContext, response, { method, origin: upstream.origin, path: fullPath }, headers)
            : response;
          upstream.pool.dispatch(
            {
              path: fullPath,
              method: method as Dispatcher.HttpMethod,
              headers,
              body: withBody ? (bodyLimit === undefined || declaredLength ? req : limitBody(req, bodyLimit)) : null,
              headersTimeout: served.timeoutMs,
              bodyTimeout: idleTimeoutMs,
            },
            handler,
          );
        };
        if (gone && !o.detached) return reject(CLIENT_GONE);
        attempt(pool.pick(undefined, withBody), { connect: false, reset: false });
      });

    const fail = (err: unknown) => {
      if (gone) return;
      const tooLarge =
        err instanceof BodyTooLarge
          ? err
          : (err as { cause?: unknown })?.cause instanceof BodyTooLarge
            ? (err as { cause: BodyTooLarge }).cause
            : undefined;
      if (tooLarge && req.httpVersionMajor === 1) {
        reply.header('connection', 'close');
        closeAfter(request);
      }
      const o = own();
      writeRawProblem(
        res,
        toProblem(tooLarge ?? upstreamGatewayError(classifyUpstreamError(err), err), request.id),
        security ? security.withFixed(o) : o,
      );
      headAt ??= process.hrtime.bigint();
    };

    const relay: Exchange['relay'] = (up, extra, tap) => {
      const bodiless = isHead || NO_BODY_STATUS.has(up.statusCode);
      let stampCoding: string | undefined;
      let stamp = false;
      let stream = false;
      try {
        // own() is a fresh object (Fastify copies the reply's fields), so it takes `extra` in place.
        const o = extra ? Object.assign(own(), extra) : own();
        let edit;
        if (security) {
          const facts = headFacts(up.rawHeaders);
          stamp = nonce !== undefined && facts.html && !bodiless && canStamp(facts.coding);
          stampCoding = facts.coding;
          stream = facts.stream === true;
          if (cspName) o[cspName] = facts.html ? csp!.htmlPolicy(nonce!) : csp!.apiPolicy;
          // The CORS hook set `Vary: Origin` on the reply; the upstream's own Vary fields must survive next to it.
          if (corsOwned && facts.vary) o.vary = `${facts.vary}, ${o.vary ?? 'Origin'}`;
          edit = security.edit(stamp, corsOwned);
        }
        res.writeHead(up.statusCode, up.statusText || undefined, buildClientHeaders(up.rawHeaders, o, edit));
        headAt = process.hrtime.bigint();
      } catch (err) {
        up.abort(new Error('unrepresentable upstream response head'));
        fail(Object.assign(new Error('unrepresentable upstream response head'), { cause: err }));
        return;
      }
      if (bodiless) {
        up.dump();
        res.end();
        tap?.end(true);
        return;
      }
      if (stream && opts.streams) {
        opts.streams.opened();
        res.once('close', opts.streams.closed);
      }
      // Only HTML with a nonce in its policy goes through the rewriter; every other body is relayed byte for byte.
      up.pipe(stamp ? stampingSink(res, nonce!, stampCoding) : res, tap);
    };

    const respond: Exchange['respond'] = (status, headers, body) => {
      const o = own();
      let h: OutgoingHttpHeaders = { ...headers };
      if (security) {
        // A stored head is the upstream's: it is edited as a relayed one is (the cache never holds nonce'd HTML).
        for (const name of security.edit(false, corsOwned).drop) delete h[name];
        if (corsOwned && headers.vary) o.vary = `${String(headers.vary)}, ${o.vary ?? 'Origin'}`;
        h = security.withFixed(Object.assign(h, o));
      } else Object.assign(h, o);
      if (status !== 304) h['content-length'] = body.length;
      res.writeHead(status, h);
      headAt = process.hrtime.bigint();
      res.end(isHead || NO_BODY_STATUS.has(status) ? undefined : body);
    };

    const reroute: Exchange['reroute'] = (as, to) => {
      served = as;
      pool = to;
      upstreamPath = as.rewrite(path) + query;
    };
    const exchange: Exchange = { request, route, nonce, call, relay, respond, fail, clientGone: () => gone, reroute };
    if (cache?.takes(exchange)) {
      // In the request's trace: the store lookup (a Redis command) is issued before the first await.
      inRequestTrace(request, () => cache.handle(exchange)).catch(fail);
      return;
    }
    call().then((up) => relay(up), fail);
  };
}
