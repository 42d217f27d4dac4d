import type { Socket } from 'node:net';
import { GatewayError } from './gateway-error';
import { toProblem } from './problem';

/**
 * Requests Node's parser refuses (malformed, or ambiguous framing such as Content-Length with Transfer-Encoding,
 * RFC 9112 6.3) never reach a route: answer them with a problem and close, since the stream can't be trusted.
 */
export function handleClientError(err: NodeJS.ErrnoException & { rawPacket?: unknown }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const status = tooLarge ? 431 : timedOut ? 408 : 400;
  const reason = tooLarge ? 'Request Header Fields Too Large' : timedOut ? 'Request Timeout' : 'Bad Request';
  const problem = toProblem(new GatewayError('BAD_REQUEST', 'The request could not be parsed as HTTP/1.1.'));
  Object.assign(problem, { status, title: reason });
  const body = JSON.stringify(problem);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
