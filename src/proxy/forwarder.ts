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

export interface ForwarderOptions {
  trust: TrustFn;
  idleTimeoutMs: number;
  log: FastifyBaseLogger;
  /** Called once per forwarded request when the client's response is over (metrics, access log). */
  onDone?: (route: CompiledRoute, status: number, startedAt: bigint) => void;
}

/** RFC 9110 9.2.2; a request that carries a body is never replayed, whatever its method. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

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
  const { trust, idleTimeoutMs, log } = opts;
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
      opts.onDone?.(route, res.statusCode, startedAt);
    });

    const fail = (err: unknown, upstream: Upstream) => {
      const kind = classifyUpstreamError(err);
      if (ac.signal.aborted) return;
      log.warn({ reqId: request.id, route: route.id, upstream: upstream.origin, kind, err }, 'upstream request failed');
      writeRawProblem(res, toProblem(upstreamGatewayError(kind, err), request.id), reply.getHeaders() as OutgoingHttpHeaders);
    };

    const send = (up: Dispatcher.ResponseData, upstream: Upstream) => {
      set.markUp(upstream);
      try {
        res.writeHead(up.statusCode, buildClientHeaders(up.headers, reply.getHeaders() as OutgoingHttpHeaders));
      } catch (err) {
        up.body.destroy();
        fail(Object.assign(new Error('unrepresentable upstream response head'), { cause: err }), upstream);
        return;
      }
      if (method === 'HEAD' || up.statusCode === 204 || up.statusCode === 304) {
        up.body.resume();
        res.end();
        return;
      }
      pipeline(up.body, res, (err) => {
        if (err && !ac.signal.aborted) {
          log.warn({ reqId: request.id, route: route.id, err }, 'upstream body failed mid-stream');
        }
      });
    };

    const attempt = (upstream: Upstream, retried: boolean) => {
      const host = route.preserveHost ? (request.headers.host ?? upstream.host) : upstream.host;
      upstream.pool
        .request({
          path: upstreamPath,
          method: method as Dispatcher.HttpMethod,
          headers: buildUpstreamHeaders(req, trust, { requestId: request.id, host }),
          body: withBody ? req : null,
          signal: ac.signal,
          headersTimeout,
          bodyTimeout: idleTimeoutMs,
        })
        .then(
          (up) => send(up, upstream),
          (err) => {
            const kind = classifyUpstreamError(err);
            if (kind === 'connect') set.markDown(upstream);
            // Nothing reached an instance that refused the connect, so a bodiless request may try another one.
            // A reset before any response head is retried once for bodiless idempotent methods (RFC 9110 9.2.2),
            // mostly a keep-alive socket the upstream closed as we reused it; a body is never replayed (undici
            // consumed the stream).
            const retry =
              !retried &&
              !withBody &&
              !ac.signal.aborted &&
              ((kind === 'connect' && set.hasAlternative(upstream)) || (kind === 'reset' && IDEMPOTENT.has(method)));
            if (retry) attempt(kind === 'connect' ? set.pick(upstream, withBody) : upstream, true);
            else fail(err, upstream);
          },
        );
    };

    attempt(set.pick(undefined, withBody), false);
  };
}

