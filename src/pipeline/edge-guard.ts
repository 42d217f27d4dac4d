import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { closeAfter, edgeRefusal } from '../edge/closing-connections';
import { GatewayError } from '../errors/gateway-error';
import { toProblem } from '../errors/problem';
import { sendProblem } from '../errors/problem-writer';
import { enterRequestTrace } from '../telemetry/request-trace';
import type { PipelineParts } from './parts';

type EdgeParts = Pick<PipelineParts, 'config' | 'lifecycle' | 'overload' | 'metrics' | 'accessLog'>;

/** A problem answered at the edge, before any route-level stage saw the request. */
function refuse(request: FastifyRequest, reply: FastifyReply, err: GatewayError): void {
  sendProblem(reply, toProblem(err, request.id));
}

/**
 * The request's first own hook: its id on the answer, the access log's start mark, `Connection: close` while
 * shutting down, the pipeline guard's refusals, load shedding; last, the request trace, so every hook and handler
 * after this one runs inside the request's server span.
 */
export function installEdgeGuard(fastify: FastifyInstance, p: EdgeParts): void {
  const { lifecycle, overload, metrics, accessLog } = p;
  const maxFields = p.config.edge.maxHeaderFields;
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    accessLog?.start(request);
    const http1 = request.raw.httpVersionMajor === 1;
    // Keep-alive clients reconnect to an instance that is staying up (HTTP/2 has no Connection field: GOAWAY).
    if (lifecycle.shuttingDown && http1) {
      reply.header('connection', 'close');
      closeAfter(request);
    }
    const refusal = edgeRefusal(request);
    if (refusal === 'too_many_fields') {
      if (http1) reply.header('connection', 'close');
      return refuse(
        request,
        reply,
        new GatewayError('HEADERS_TOO_LARGE', `At most ${maxFields} header fields are accepted.`),
      );
    }
    if (refusal === 'duplicate_host') {
      reply.header('connection', 'close');
      return refuse(
        request,
        reply,
        new GatewayError('BAD_REQUEST', 'A request must carry exactly one Host field (RFC 9112 3.2).'),
      );
    }
    // Probes and scrapes still answer while shedding: an overloaded pod is alive and must stay observable.
    if (overload.reason && !request.routeOptions.config.gatewayOwn) {
      metrics.shed.inc({ reason: overload.reason });
      reply.header('retry-after', '1');
      return refuse(request, reply, new GatewayError('OVERLOADED', 'The gateway is overloaded; retry shortly.'));
    }
    enterRequestTrace(request, reply, done);
  });
}
