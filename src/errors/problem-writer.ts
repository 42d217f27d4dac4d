import { STATUS_CODES, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply } from 'fastify';
import { PROBLEM_CONTENT_TYPE, type Problem } from './problem';

/**
 * The two ways a problem document (RFC 9457) leaves the gateway. Every answer of its own goes through one of them,
 * so the media type, length and closing rules are written once.
 */

/** A problem answered through Fastify: its onSend hooks (security headers) and onResponse hooks (metrics) see it. */
export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
}

/**
 * A problem written past Fastify: on a hijacked response (the forwarder's), or as HTTP/1.1 text on a socket no
 * response object owns (Node's parser refusing a request, a refused WebSocket upgrade), which is then closed: its
 * stream can no longer be trusted. `fields` are the answer's other fields; on a socket, ready head lines (built at
 * boot). After a response's head went out the only honest signal is a reset.
 */
export function writeRawProblem(res: ServerResponse, problem: Problem, fields: OutgoingHttpHeaders): void;
export function writeRawProblem(socket: Socket, problem: Problem, headLines: string): void;
export function writeRawProblem(
  target: ServerResponse | Socket,
  problem: Problem,
  fields: OutgoingHttpHeaders | string,
): void {
  const body = JSON.stringify(problem);
  if (!('writeHead' in target)) {
    if (target.destroyed || target.writableEnded) return;
    const id = problem.request_id ? `X-Request-Id: ${problem.request_id}\r\n` : '';
    target.end(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? problem.title}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${id}${fields as string}` +
        `Connection: close\r\n\r\n${body}`,
    );
    return;
  }
  if (target.headersSent) {
    target.destroy();
    return;
  }
  target.writeHead(problem.status, {
    ...(fields as OutgoingHttpHeaders),
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  target.end(body);
}
