import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { GatewayConfig } from '../config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../errors/gateway-error';
import { toProblem } from '../errors/problem';
import { sendProblem } from '../errors/problem-writer';
import { canonicalUrl } from '../routing/path-guard';

/**
 * Requests the router refuses before any hook runs (a path that is not valid percent-encoding, a parameter past
 * the length limit) still get a problem document and a request id, not Fastify's own JSON.
 */
function frameworkErrors(err: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void {
  const gatewayError =
    err.code === 'FST_ERR_BAD_URL'
      ? new GatewayError('BAD_PATH', 'The path has malformed percent-encoding.')
      : err.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? new GatewayError('URI_TOO_LONG', 'A path segment is longer than the gateway accepts.')
        : new GatewayError('BAD_REQUEST', 'The request could not be read.');
  const problem = toProblem(gatewayError, request.id);
  sendProblem(reply.header('x-request-id', request.id), problem);
}

/**
 * The listener's limits, fixed at boot. Node's HTTP/1.1 parser enforces the head size itself (431 via
 * handleClientError); the field count and the HTTP/2 equivalents are set here. `connectionsCheckingInterval`
 * is how often Node looks for connections past `headersTimeout`: its 30 s default would let a slow-headers
 * client hold a socket for up to 40 s instead of 10 s.
 */
export function serverOptions(config: GatewayConfig): Record<string, unknown> {
  const edge = config.edge;
  const http1 = {
    maxHeaderSize: edge.maxHeaderBytes,
    headersTimeout: edge.headersTimeoutMs,
    connectionsCheckingInterval: 1_000,
  };
  const common = {
    bodyLimit: edge.maxJsonBodyBytes,
    keepAliveTimeout: edge.keepAliveTimeoutMs,
    rewriteUrl: canonicalUrl,
    frameworkErrors,
  };
  if (!config.tls) return { ...common, http: http1 };
  return {
    ...common,
    // HTTP/2 by ALPN, HTTP/1.1 for clients that do not offer it (RFC 9113 3.2; RFC 7301).
    http2: true,
    http2SessionTimeout: edge.keepAliveTimeoutMs,
    https: {
      allowHTTP1: true,
      key: readFileSync(config.tls.keyFile),
      cert: readFileSync(config.tls.certFile),
      ...http1,
      // RFC 9113 6.5.2 SETTINGS_MAX_HEADER_LIST_SIZE, and the field count plus the four request pseudo-headers.
      settings: { maxHeaderListSize: edge.maxHeaderBytes },
      maxHeaderListPairs: edge.maxHeaderFields + 4,
    },
  };
}

/** Settings Node takes only on the server object once it exists. */
export function tuneServer(server: Server, config: GatewayConfig): void {
  // One more than allowed, so the onRequest check can see that the limit was passed (Node drops fields beyond it).
  server.maxHeadersCount = config.edge.maxHeaderFields + 1;
  server.headersTimeout = config.edge.headersTimeoutMs;
}
