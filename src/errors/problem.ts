import { ERROR_CATALOG, GatewayError, type ErrorCode } from './gateway-error';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  request_id?: string;
  [extra: string]: unknown;
}

/**
 * The code of an answer that has only a status: Nest's HttpException, Fastify's own errors, Node's parser
 * refusing a request (client-error.ts). Always the generic code for the status (RFC 9110 section 15 meanings:
 * 502 an invalid answer from upstream, 504 none in time), never a feature's: a bare 502 is not the chat model
 * failing. One explicit table, so the catalog's order decides nothing.
 */
export const CODE_BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'VALIDATION_FAILED',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
  500: 'INTERNAL',
  502: 'UPSTREAM_BAD_RESPONSE',
  503: 'SERVICE_UNAVAILABLE',
  504: 'UPSTREAM_TIMEOUT',
};

/** Statuses outside the table: BAD_REQUEST for a 4xx, INTERNAL for a 5xx (the status itself is kept). */
export function codeForStatus(status: number): ErrorCode {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
}

/**
 * The single mapping from anything thrown to an RFC 9457 problem. Unknown errors become 500 without their message
 * or stack: those go to the log, never to the client.
 */
export function toProblem(err: unknown, requestId?: string, instance?: string): Problem {
  let code: ErrorCode;
  let status: number;
  let detail: string;
  let extra: Record<string, unknown> | undefined;
  if (err instanceof Error && err.name === 'AuthFailure' && 'reason' in err) {
    // Duck-typed so errors/ stays free of feature imports; auth/ owns the reason codes.
    code = 'UNAUTHENTICATED';
    status = 401;
    detail = `Authentication failed: ${String((err as { reason: string }).reason)}.`;
    extra = { reason: (err as { reason: string }).reason };
  } else if (err instanceof GatewayError) {
    ({ code, status } = err);
    detail = err.message;
    extra = err.extra;
  } else {
    const e = err as { statusCode?: unknown; status?: unknown; message?: unknown; code?: unknown };
    const raw = typeof e?.statusCode === 'number' ? e.statusCode : typeof e?.status === 'number' ? e.status : 500;
    status = raw >= 400 && raw <= 599 ? raw : 500;
    code = codeForStatus(status);
    // Framework errors below 500 describe the client's request (bad JSON, body too large): safe to echo.
    detail = status < 500 && typeof e?.message === 'string' ? e.message : ERROR_CATALOG[code].title;
  }
  return {
    type: `urn:figway:problem:${code.toLowerCase().replace(/_/g, '-')}`,
    title: ERROR_CATALOG[code]?.title ?? 'Error',
    status,
    detail,
    code,
    ...(instance ? { instance } : {}),
    ...(requestId ? { request_id: requestId } : {}),
    ...extra,
  };
}
