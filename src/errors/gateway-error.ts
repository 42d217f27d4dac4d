/**
 * Every error the gateway answers itself has a stable code, a status and a cause; `problem.ts` maps them to
 * RFC 9457 problem details in one place, and maps an error that carries only a status to its code
 * (CODE_BY_STATUS there). Order here means nothing.
 */
export const ERROR_CATALOG = {
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  BAD_PATH: { status: 400, title: 'Ambiguous or malformed path' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  CSRF_REJECTED: { status: 403, title: 'Cross-site request refused' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  REQUEST_TIMEOUT: { status: 408, title: 'Request timeout' },
  CONFLICT: { status: 409, title: 'Conflict' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  URI_TOO_LONG: { status: 414, title: 'URI too long' },
  HEADERS_TOO_LARGE: { status: 431, title: 'Request header fields too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  VALIDATION_FAILED: { status: 422, title: 'Validation failed' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  // The chat model's failures: only ever thrown by name, never the code of a bare 502/503/504.
  LLM_FAILED: { status: 502, title: 'The model failed' },
  LLM_UNAVAILABLE: { status: 503, title: 'The model is unavailable' },
  LLM_TIMEOUT: { status: 504, title: 'The model timed out' },
  UPSTREAM_CONNECT_FAILED: { status: 502, title: 'Upstream unreachable' },
  UPSTREAM_RESET: { status: 502, title: 'Upstream closed the connection' },
  UPSTREAM_BAD_RESPONSE: { status: 502, title: 'Upstream sent an invalid response' },
  UPSTREAM_TIMEOUT: { status: 504, title: 'Upstream timed out' },
  FLAG_FORCED_BY_ENV: { status: 409, title: 'Flag forced by the environment' },
  ROLLOUT_CONFLICT: { status: 409, title: 'Rollout action not possible now' },
  ROLLOUT_STORE_UNAVAILABLE: { status: 503, title: 'Rollout store unavailable' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
  NOT_READY: { status: 503, title: 'Not ready' },
  OVERLOADED: { status: 503, title: 'Overloaded' },
  FLAG_STORE_UNAVAILABLE: { status: 503, title: 'Flag store unavailable' },
  RATE_LIMIT_UNAVAILABLE: { status: 503, title: 'Rate limiting unavailable' },
  TOKEN_ISSUANCE_OFF: { status: 503, title: 'Token issuance is not configured' },
  INTERNAL: { status: 500, title: 'Internal gateway error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export class GatewayError extends Error {
  readonly status: number;
  readonly title: string;

  constructor(
    readonly code: ErrorCode,
    detail?: string,
    options?: { cause?: unknown; extra?: Record<string, unknown> },
  ) {
    super(detail ?? ERROR_CATALOG[code].title, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.status = ERROR_CATALOG[code].status;
    this.title = ERROR_CATALOG[code].title;
    this.extra = options?.extra;
  }

  readonly extra?: Record<string, unknown>;
}
