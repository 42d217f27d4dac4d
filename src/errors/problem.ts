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

/** The first (most generic) code of each status, for errors that carry only a status (Nest's HttpException). */
const CODE_BY_STATUS = new Map<number, ErrorCode>();
for (const [code, v] of Object.entries(ERROR_CATALOG)) {
  if (!CODE_BY_STATUS.has(v.status)) CODE_BY_STATUS.set(v.status, code as ErrorCode);
}

function codeForStatus(status: number): ErrorCode {
  return CODE_BY_STATUS.get(status) ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
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
