import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { GatewayConfig } from '../config';
import { traceIdOf } from './request-trace';

/**
 * Writes the access line of one finished request. Called from two places: the forwarder's onDone for proxied
 * requests (it alone knows the upstream target and sees clients that leave early, as 499), and Fastify's onResponse
 * hook for what Nest and Fastify answer themselves (the hook skips replies the forwarder took over).
 */
export interface AccessLog {
  /** From the onRequest hook: notes where the response starts on the connection, to count what it sent. */
  start(request: FastifyRequest): void;
  write(request: FastifyRequest, route: string, target: string, status: number, seconds: number): void;
  /**
   * A WebSocket upgrade (it never passes Fastify): written when its connection closes, so the duration is the
   * session's and the bytes are all the gateway sent the client.
   */
  writeUpgrade(
    req: IncomingMessage,
    o: { routeId: string; target: string; status: number; seconds: number; bytes: number; client: string },
  ): void;
}

const VERBOSE_ENOUGH = new Set<GatewayConfig['logLevel']>(['info', 'debug', 'trace']);

/**
 * Undefined when the lines would be dropped anyway (ACCESS_LOG=false, or LOG_LEVEL above info): the request path
 * then skips building the record altogether.
 *
 * What is left out on purpose: headers (Authorization, Cookie, API keys), the query string (tokens, signed URLs,
 * personal data), bodies. The path is kept; it is what an operator searches for.
 */
export function createAccessLog(
  log: FastifyBaseLogger,
  config: Pick<GatewayConfig, 'accessLog' | 'logLevel'>,
): AccessLog | undefined {
  if (!config.accessLog || !VERBOSE_ENOUGH.has(config.logLevel)) return undefined;
  // Bytes are counted on the socket (nginx's $bytes_sent: head and body as sent): proxied responses are written
  // with writeHead(fields), which Node does not keep for getHeader(), and many are chunked anyway. Only a client
  // pipelining requests on one connection makes the figure approximate (Node reads the next request while the
  // previous response is still going out).
  const start: AccessLog['start'] = (request) => {
    request.figwayBytesBefore = request.raw.socket?.bytesWritten ?? 0;
  };
  const write: AccessLog['write'] = (request, route, target, status, seconds) => {
    const url = request.raw.url ?? '/';
    const q = url.indexOf('?');
    const before = request.figwayBytesBefore >= 0 ? request.figwayBytesBefore : undefined;
    const after = request.raw.socket?.bytesWritten;
    log.info(
      {
        reqId: request.id,
        // Undefined (left out of the line) when tracing is off.
        traceId: traceIdOf(request),
        method: request.method,
        route,
        target,
        path: q < 0 ? url : url.slice(0, q),
        status,
        durationMs: Math.round(seconds * 1e6) / 1e3,
        bytes: before === undefined || after === undefined ? undefined : after - before,
        client: request.ip,
      },
      'access',
    );
  };
  const writeUpgrade: AccessLog['writeUpgrade'] = (req, o) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    log.info(
      {
        reqId: req.headers['x-request-id'],
        method: req.method,
        route: o.routeId,
        target: o.target,
        path: q < 0 ? url : url.slice(0, q),
        status: o.status,
        durationMs: Math.round(o.seconds * 1e6) / 1e3,
        bytes: o.bytes,
        client: o.client,
        upgrade: 'websocket',
      },
      'access',
    );
  };
  return { start, write, writeUpgrade };
}
