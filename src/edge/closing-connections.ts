import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { duplicateHost, tooManyHeaderFields } from './header-count';

/**
 * Per HTTP/1.1 connection: how many requests the pipeline guard has numbered, and the number of the first request
 * whose answer says `Connection: close`. RFC 9112 9.6: after a close the connection carries no further request.
 * Node's parser may already have read requests pipelined behind it (same packet) and emits them anyway; those would
 * be forwarded, acted on by legacy, and their answers thrown away, since Node closes the socket after that answer.
 * Requests parsed BEFORE the closing one are answered as usual, in order (RFC 9112 9.3.2): dropping one of those
 * leaves Node's per-socket answer queue waiting on it for ever, and the refusal behind it is never written.
 */
interface ConnectionOrder {
  numbered: number;
  closesAfter: number;
}
const connections = new WeakMap<Socket, ConnectionOrder>();

export type EdgeRefusal = 'too_many_fields' | 'duplicate_host';

/** The edge refusal the pipeline guard found for this request, if any: the gateway's hook answers it. */
export function edgeRefusal(request: FastifyRequest): EdgeRefusal | null {
  return request.figwayEdgeRefusal;
}

function orderOf(socket: Socket): ConnectionOrder {
  let order = connections.get(socket);
  if (order === undefined) {
    order = { numbered: 0, closesAfter: Infinity };
    connections.set(socket, order);
  }
  return order;
}

/**
 * Marks the connection of `request` as ending with its answer; requests parsed after it are dropped. An earlier
 * request that closes later (a 413 in the forwarder) moves the mark back to itself. HTTP/2 streams share no such fate.
 */
export function closeAfter(request: FastifyRequest): void {
  const req = request.raw;
  if (req.httpVersionMajor !== 1) return;
  const order = orderOf(req.socket);
  if (request.figwayParseOrder < order.closesAfter) order.closesAfter = request.figwayParseOrder;
}

/** True for a request parsed behind one whose answer closes the connection. */
export function behindClose(request: FastifyRequest): boolean {
  const req = request.raw;
  if (req.httpVersionMajor !== 1) return false;
  const order = connections.get(req.socket);
  return order !== undefined && request.figwayParseOrder > order.closesAfter;
}

/** Stops the request without a byte written: Node ends the socket once the earlier answers are out. */
function drop(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  if (behindClose(request)) {
    reply.hijack();
    request.log.debug('request pipelined behind a closing answer dropped');
  }
  done();
}

/**
 * Must be the first onRequest hook. Node emits pipelined requests one after the other, in parse order, and Fastify
 * runs this hook synchronously inside each emit: the number given here is the request's place on its connection,
 * and the edge refusals (answered later, after the security headers are set) are marked before the next request
 * exists. Refusals decided later (a 413 in the forwarder, shutdown) mark the connection themselves; preHandler and
 * the forwarder look again.
 */
export function installPipelineGuard(fastify: FastifyInstance, maxHeaderFields: number): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const req = request.raw;
    if (req.httpVersionMajor === 1) request.figwayParseOrder = ++orderOf(req.socket).numbered;
    // HTTP/2 requests are counted too (too many fields); a duplicate Host is an HTTP/1.1 framing matter.
    const refusal = tooManyHeaderFields(req, maxHeaderFields)
      ? 'too_many_fields'
      : req.httpVersionMajor === 1 && duplicateHost(req)
        ? 'duplicate_host'
        : undefined;
    if (refusal) {
      request.figwayEdgeRefusal = refusal;
      closeAfter(request);
    }
    drop(request, reply, done);
  });
  fastify.addHook('preHandler', drop);
}
