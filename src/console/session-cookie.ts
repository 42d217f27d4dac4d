import type { FastifyRequest } from 'fastify';
import { readCookie } from '../auth/cookies';
import { SESSION_COOKIE, SESSION_TTL_MS } from './admin-sessions';

/** The header the console sends on every unsafe request (see consoleRequestRefused). */
export const CONSOLE_HEADER = 'x-figway-console';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export function sessionIdOf(request: FastifyRequest): string | undefined {
  return readCookie(request.headers.cookie, SESSION_COOKIE);
}

/**
 * Path=/admin: the cookie goes to the admin API and the console only. HttpOnly: page script never sees it.
 * SameSite=Strict: no other site's page makes the browser send it (RFC 6265bis 8.8). Secure when the request came
 * over https (directly, or through a proxy TRUST_PROXY names): a plain-HTTP gateway on a laptop still works.
 */
export function sessionCookie(request: FastifyRequest, id: string): string {
  return attributes(request, `${SESSION_COOKIE}=${id}`, Math.floor(SESSION_TTL_MS / 1000));
}

export function clearedSessionCookie(request: FastifyRequest): string {
  return attributes(request, `${SESSION_COOKIE}=`, 0);
}

function attributes(request: FastifyRequest, pair: string, maxAgeS: number): string {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${pair}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure}`;
}

/**
 * Why a cookie-authenticated unsafe request is refused, or undefined when it may go on. A cookie travels with
 * requests other origins make, so such a request must carry `X-Figway-Console: 1`: a custom header makes a
 * cross-origin fetch need a CORS preflight, which the gateway never grants on /admin, and an HTML form cannot set
 * one (the OWASP CSRF cheat sheet's "custom request headers"). An Origin, when sent, must be the request's own,
 * host and scheme; `https` is also taken for a request that arrived as plain HTTP, which is what a TLS proxy the
 * gateway does not trust (TRUST_PROXY) looks like. `null` (sandboxed frames, data: URLs) is never ours.
 */
export function consoleRequestRefused(request: FastifyRequest): string | undefined {
  if (SAFE.has(request.method)) return undefined;
  if (request.headers[CONSOLE_HEADER] !== '1')
    return 'A console request that changes something must carry X-Figway-Console: 1.';
  const origin = request.headers.origin;
  if (origin === undefined) return undefined;
  return sameOrigin(request, origin) ? undefined : `Origin ${origin} is not this console's origin.`;
}

function sameOrigin(request: FastifyRequest, origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.host !== request.host.toLowerCase()) return false;
  const scheme = url.protocol.slice(0, -1);
  return scheme === request.protocol || (scheme === 'https' && request.protocol === 'http');
}
