import { GatewayError } from '../errors/gateway-error';

export const UPSTREAM_FAILURES = ['connect', 'timeout', 'reset', 'aborted', 'protocol'] as const;
export type UpstreamFailure = (typeof UPSTREAM_FAILURES)[number];

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

/** Sorts an undici failure into what the retry policy and the client care about. */
export function classifyUpstreamError(err: unknown): UpstreamFailure {
  const e = err as { code?: string; name?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code ?? '';
  if (CONNECT_CODES.has(code)) return 'connect';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  if (code === 'UND_ERR_ABORTED' || e?.name === 'AbortError') return 'aborted';
  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED')
    return 'reset';
  return 'protocol';
}

export function upstreamGatewayError(kind: UpstreamFailure, cause: unknown): GatewayError {
  switch (kind) {
    case 'connect':
      return new GatewayError('UPSTREAM_CONNECT_FAILED', 'The upstream service could not be reached.', { cause });
    case 'timeout':
      return new GatewayError('UPSTREAM_TIMEOUT', 'The upstream service did not answer in time.', { cause });
    case 'reset':
      return new GatewayError('UPSTREAM_RESET', 'The upstream service closed the connection before answering.', {
        cause,
      });
    default:
      return new GatewayError('UPSTREAM_BAD_RESPONSE', 'The upstream service sent an invalid response.', { cause });
  }
}
