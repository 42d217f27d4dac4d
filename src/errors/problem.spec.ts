import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERROR_CATALOG, type ErrorCode } from './gateway-error';
import { toProblem } from './problem';

/** CODE_BY_STATUS, spelled out: Nest's HttpException reaches toProblem as { statusCode, message } (problem.filter.ts). */
const EXPECTED: Record<number, string> = {
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

test('an error carrying only a status gets the generic code of the table, with that status', () => {
  for (const [status, code] of Object.entries(EXPECTED)) {
    const p = toProblem({ statusCode: Number(status), message: 'x' });
    assert.equal(p.code, code, `status ${status}`);
    assert.equal(p.status, Number(status));
    assert.equal(ERROR_CATALOG[code as ErrorCode]?.status, Number(status), `${code} is a ${status} in the catalog`);
    assert.equal(p.title, ERROR_CATALOG[code as ErrorCode].title);
  }
});

test('no bare status reaches a feature code: the chat model, CSRF, readiness, flags', () => {
  for (let status = 400; status <= 599; status++) {
    const { code } = toProblem({ statusCode: status });
    assert.doesNotMatch(
      code,
      /^(LLM_|CSRF_|NOT_READY|OVERLOADED|FLAG_|RATE_LIMIT_UNAVAILABLE|TOKEN_)/,
      `status ${status} -> ${code}`,
    );
  }
  assert.equal(toProblem({ status: 502 }).code, 'UPSTREAM_BAD_RESPONSE');
  assert.equal(toProblem({ status: 503 }).code, 'SERVICE_UNAVAILABLE');
  assert.equal(toProblem({ status: 504 }).code, 'UPSTREAM_TIMEOUT');
});

test('statuses outside the table keep their status: BAD_REQUEST for a 4xx, INTERNAL for a 5xx, 500 for nonsense', () => {
  assert.deepEqual(
    [toProblem({ statusCode: 418 }).code, toProblem({ statusCode: 501 }).code],
    ['BAD_REQUEST', 'INTERNAL'],
  );
  assert.equal(toProblem({ statusCode: 418 }).status, 418);
  const unknown = toProblem(new Error('secret stack detail'));
  assert.deepEqual([unknown.status, unknown.code], [500, 'INTERNAL']);
  assert.doesNotMatch(unknown.detail, /secret/);
});
