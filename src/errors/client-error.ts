import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { securityHeadLines, type SecurityHeaders } from '../security/security-headers';
import { GatewayError } from './gateway-error';
import { codeForStatus, toProblem } from './problem';
import { writeRawProblem } from './problem-writer';

/** What Node's parser error means for the client: the status (its code from CODE_BY_STATUS) and why. */
function refusalOf(code: string | undefined): { status: number; detail: string } {
  if (code === 'HPE_HEADER_OVERFLOW')
    return { status: 431, detail: 'The request head is larger than the gateway accepts.' };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, detail: 'The request head did not arrive in time.' };
  return { status: 400, detail: 'The request could not be parsed as HTTP/1.1.' };
}

type ClientErrorHandler = (err: NodeJS.ErrnoException & { rawPacket?: unknown }, socket: Socket) => void;

/**
 * Requests Node's parser refuses (malformed, or ambiguous framing such as Content-Length with Transfer-Encoding,
 * RFC 9112 6.3) never reach a route: answer them with a problem and close, since the stream can't be trusted.
 */
export function clientErrorHandler(security: SecurityHeaders): ClientErrorHandler {
  // The same static set as every other answer (HSTS with TLS), built once here (issue 9).
  const fixedLines = securityHeadLines(security);
  const handled = new WeakSet<Socket>();
  return function handleClientError(err, socket) {
    // Node calls this again for bytes that keep arriving after the parser failed.
    if (handled.has(socket)) return;
    handled.add(socket);
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const { status, detail } = refusalOf(err.code);
    // DESIGN.md: every response carries X-Request-Id, also one no route saw.
    const requestId = randomUUID();
    const problem = toProblem(new GatewayError(codeForStatus(status), detail), requestId);
    const answer = () => writeRawProblem(socket, problem, fixedLines);
    // Nothing more is read from this connection; what was parsed before the bad bytes is still answered.
    socket.pause();
    whenAnswered(socket, answer);
  };
}

type Pending = {
  writableFinished: boolean;
  req?: { complete: boolean };
  once(event: 'close', fn: () => void): unknown;
};

/**
 * Runs `then` once every answer owed on the connection is out. Requests parsed before the bad bytes (pipelined,
 * or one still waiting on its upstream) are answered first and in order (RFC 9112 9.3.2): a 400 written ahead of
 * them would be read by the client, or a proxy in front, as the answer to the earlier request, and every later
 * answer would shift by one (response queue desynchronisation). Node assigns the next queued answer to the socket
 * as each one finishes, before the answer's 'close'; an answer that is aborted instead takes the connection down.
 * When the bad bytes are in the body of the request being answered (a broken chunk), the 400 is its answer: now.
 */
function whenAnswered(socket: Socket, then: () => void): void {
  const current = (socket as Socket & { _httpMessage?: Pending | null })._httpMessage;
  if (!current || current.writableFinished || current.req?.complete === false) return then();
  current.once('close', () => (current.writableFinished ? whenAnswered(socket, then) : socket.destroy()));
}
