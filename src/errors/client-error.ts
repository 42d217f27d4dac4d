import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { securityHeadLines, type SecurityHeaders } from '../security/security-headers';
import { GatewayError } from './gateway-error';
import { toProblem } from './problem';

type ClientErrorHandler = (err: NodeJS.ErrnoException & { rawPacket?: unknown }, socket: Socket) => void;

/**
 * Requests Node's parser refuses (malformed, or ambiguous framing such as Content-Length with Transfer-Encoding,
 * RFC 9112 6.3) never reach a route: answer them with a problem and close, since the stream can't be trusted.
 */
export function clientErrorHandler(security: SecurityHeaders): ClientErrorHandler {
  // The same static set as every other answer (HSTS with TLS), built once here (issue 9).
  const fixedLines = securityHeadLines(security);
  return function handleClientError(err, socket) {
    // An answer already under way on this connection (a stream, say) would have our bytes spliced into its body;
    // Node's default handler does not write then either (lib/_http_server.js socketOnError).
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (!socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const status = tooLarge ? 431 : timedOut ? 408 : 400;
    const reason = tooLarge ? 'Request Header Fields Too Large' : timedOut ? 'Request Timeout' : 'Bad Request';
    // DESIGN.md: every response carries X-Request-Id, also one no route saw.
    const requestId = randomUUID();
    const problem = toProblem(new GatewayError('BAD_REQUEST', 'The request could not be parsed as HTTP/1.1.'), requestId);
    Object.assign(problem, { status, title: reason });
    const body = JSON.stringify(problem);
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\n${fixedLines}Connection: close\r\n\r\n${body}`,
    );
  };
}
