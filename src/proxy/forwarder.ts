import type { OutgoingHttpHeaders } from 'node:http';
import { pipeline } from 'node:stream';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { Dispatcher } from 'undici';
import { toProblem } from '../errors/problem';
import { splitTarget, type CompiledRoute } from '../routing';
import type { TrustFn } from './client-address';
import { writeRawProblem } from './problem-response';
import { buildUpstreamHeaders } from './request-headers';
import { buildClientHeaders } from './response-headers';
import { classifyUpstreamError, upstreamGatewayError } from './upstream-errors';
import type { Upstream, UpstreamSet } from './upstream-set';

/** One client request on its way through a proxied route; what a response cache needs to act on it. */
export interface Exchange {
  readonly request: FastifyRequest;
  readonly route: CompiledRoute;
  /**
   * Sends the request upstream, retrying per policy; rejects with the last upstream error. `headers` are added to
   * the outgoing request (conditional revalidation); `detached` calls survive the client leaving (background
   * revalidation).
   */
  call(opts?: { headers?: Record<string, string>; detached?: boolean }): Promise<Dispatcher.ResponseData>;
  /** Streams an upstream response to the client; `extra` fields are added (X-Cache). */
  relay(up: Dispatcher.ResponseData, extra?: OutgoingHttpHeaders, tap?: BodyTap): void;
  /** Answers with a complete response the gateway holds (a cache hit). */
  respond(status: number, headers: OutgoingHttpHeaders, body: Buffer): void;
  fail(err: unknown): void;
  readonly clientGone: () => boolean;
}

/** Sees the body as it streams to the client (a cache storing it); `end(false)` when it was cut short. */
export interface BodyTap {
  data(chunk: Buffer): void;
  end(complete: boolean): void;
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
  /** Called once per forwarded request when the client's response is over (metrics, access log). */
  onDone?: (route: CompiledRoute, method: string, status: number, seconds: number) => void;
  onUpstreamError?: (upstream: string, kind: string) => void;
}

/** RFC 9110 9.2.2; a request that carries a body is never replayed, whatever its method. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const NO_BODY_STATUS = new Set([204, 304]);

function hasBody(headers: FastifyRequest['headers']): boolean {
  const cl = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0');
}

export type ForwardFn = (request: FastifyRequest, reply: FastifyReply) => void;

/**
 * Builds the forwarding function of one route at boot: target pool, path rewrite and timeouts are fixed here,
 * so the request path does no lookups. The body streams both ways through undici and is never parsed.
 */
export function createForwarder(route: CompiledRoute, set: UpstreamSet, opts: ForwarderOptions): ForwardFn {
  const { trust, idleTimeoutMs, log, cache } = opts;
  const headersTimeout = route.timeoutMs;

  return function forward(request, reply) {
    reply.hijack();
    const startedAt = process.hrtime.bigint();
    const req = request.raw;
    const res = reply.raw;
    const [path, query] = splitTarget(req.url ?? '/');
    const upstreamPath = route.rewrite(path) + query;
    const method = req.method ?? 'GET';
    const withBody = hasBody(request.headers);
    const ac = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) ac.abort();
      // A client that left before the head was written still counts, as 499 (nginx's convention).
      opts.onDone?.(route, method, res.headersSent ? res.statusCode : 499, Number(process.hrtime.bigint() - startedAt) / 1e9);
    });
    const own = () => reply.getHeaders() as OutgoingHttpHeaders;
    const isHead = method === 'HEAD';

    const call: Exchange['call'] = (o = {}) =>
      new Promise((resolve, reject) => {
        const attempt = (upstream: Upstream, retried: boolean) => {
          const host = route.preserveHost ? (request.headers.host ?? upstream.host) : upstream.host;
          const headers = buildUpstreamHeaders(req, trust, { requestId: request.id, host });
          if (o.headers) Object.assign(headers, o.headers);
          upstream.pool
            .request({
              path: upstreamPath,
              method: method as Dispatcher.HttpMethod,
              headers,
              body: withBody ? req : null,
              signal: o.detached ? undefined : ac.signal,
              headersTimeout,
              bodyTimeout: idleTimeoutMs,
            })
            .then(
              (up) => {
                set.markUp(upstream);
                resolve(up);
              },
              (err) => {
                const kind = classifyUpstreamError(err);
                if (kind === 'connect') set.markDown(upstream);
                if (kind !== 'aborted') opts.onUpstreamError?.(upstream.origin, kind);
                // Nothing reached an instance that refused the connect, so a bodiless request may try another one.
                // A reset before any response head is retried once for bodiless idempotent methods (RFC 9110
                // 9.2.2), mostly a keep-alive socket the upstream closed as we reused it; a body is never replayed
                // (undici consumed the stream).
                const retry =
                  !retried &&
                  !withBody &&
                  !ac.signal.aborted &&
                  ((kind === 'connect' && set.hasAlternative(upstream)) || (kind === 'reset' && IDEMPOTENT.has(method)));
                if (retry) attempt(kind === 'connect' ? set.pick(upstream, withBody) : upstream, true);
                else {
                  log.warn({ reqId: request.id, route: route.id, upstream: upstream.origin, kind, err }, 'upstream request failed');
                  reject(err);
                }
              },
            );
        };
        attempt(set.pick(undefined, withBody), false);
      });

    const fail = (err: unknown) => {
      if (ac.signal.aborted) return;
      writeRawProblem(res, toProblem(upstreamGatewayError(classifyUpstreamError(err), err), request.id), own());
    };

    const relay: Exchange['relay'] = (up, extra, tap) => {
      try {
        const headers = buildClientHeaders(up.headers, own());
        if (extra) Object.assign(headers, extra);
        res.writeHead(up.statusCode, headers);
      } catch (err) {
        up.body.destroy();
        fail(Object.assign(new Error('unrepresentable upstream response head'), { cause: err }));
        return;
      }
      if (isHead || NO_BODY_STATUS.has(up.statusCode)) {
        up.body.resume();
        res.end();
        tap?.end(true);
        return;
      }
      if (tap) up.body.on('data', (chunk: Buffer) => tap.data(chunk));
      pipeline(up.body, res, (err) => {
        if (err && !ac.signal.aborted) log.warn({ reqId: request.id, route: route.id, err }, 'upstream body failed mid-stream');
        tap?.end(!err);
      });
    };

    const respond: Exchange['respond'] = (status, headers, body) => {
      const h = { ...headers, ...own() };
      if (status !== 304) h['content-length'] = body.length;
      res.writeHead(status, h);
      res.end(isHead || NO_BODY_STATUS.has(status) ? undefined : body);
    };

    const exchange: Exchange = { request, route, call, relay, respond, fail, clientGone: () => ac.signal.aborted };
    if (cache?.takes(exchange)) {
      cache.handle(exchange).catch(fail);
      return;
    }
    call().then((up) => relay(up), fail);
  };
}
