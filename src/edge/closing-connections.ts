import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { duplicateHost, tooManyHeaderFields } from './header-count';

/**
 * HTTP/1.1 connections whose current answer says `Connection: close`, with the request that answer belongs to.
 * RFC 9112 9.6: after a close the connection carries no further request. Node's parser may already have read a
 * request pipelined behind it (same packet) and emits it anyway; that one would be forwarded, acted on by legacy,
 * and its answer thrown away, since Node closes the socket after the first response (issue 9).
 */
const closing = new WeakMap<Socket, IncomingMessage>();
/** What the first hook found wrong with a request, for the gateway's hook to answer (checked once per request). */
const refusals = new WeakMap<IncomingMessage, EdgeRefusal>();

export type EdgeRefusal = 'too_many_fields' | 'duplicate_host';

/** The edge refusal the pipeline guard found for this request, if any: the gateway's hook answers it. */
export function edgeRefusal(req: IncomingMessage): EdgeRefusal | undefined {
  return refusals.get(req);
}

/** Marks the connection of `req` as ending with its answer. HTTP/2 streams share no such fate. */
export function closeAfter(req: IncomingMessage): void {
  if (req.httpVersionMajor === 1 && !closing.has(req.socket)) closing.set(req.socket, req);
}

/** True for a request parsed behind one whose answer closes the connection. */
export function behindClose(req: IncomingMessage): boolean {
  if (req.httpVersionMajor !== 1) return false;
  const first = closing.get(req.socket);
  return first !== undefined && first !== req;
}

/** Stops the request without a byte written: Node ends the socket once the earlier answer is out. */
function drop(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  if (behindClose(request.raw)) {
    reply.hijack();
    request.log.debug('request pipelined behind a closing answer dropped');
  }
  done();
}

/**
 * Must be the first onRequest hook. Node emits pipelined requests one after the other from one parse, and
 * Fastify runs this hook synchronously inside each emit, so the edge refusals (answered later, after the security
 * headers are set) are marked here before the next request exists. Refusals decided later (a 413 in the
 * forwarder, shutdown) mark the connection themselves; preHandler and the forwarder look again.
 */
export function installPipelineGuard(fastify: FastifyInstance, maxHeaderFields: number): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const req = request.raw;
    // HTTP/2 requests are counted too (too many fields); a duplicate Host is an HTTP/1.1 framing matter.
    const refusal = tooManyHeaderFields(req, maxHeaderFields) ? 'too_many_fields' : req.httpVersionMajor === 1 && duplicateHost(req) ? 'duplicate_host' : undefined;
    if (refusal) {
      refusals.set(req, refusal);
      if (!behindClose(req)) closeAfter(req);
    }
    drop(request, reply, done);
  });
  fastify.addHook('preHandler', drop);
}
