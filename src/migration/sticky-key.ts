import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const BUCKET_COOKIE = 'figway_bucket';
const COOKIE_VALUE = /^[A-Za-z0-9_-]{8,64}$/;
const MAX_AGE_S = 400 * 24 * 3600; // the longest lifetime browsers honour (RFC 6265bis)

function cookieValue(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const at = header.indexOf(`${BUCKET_COOKIE}=`);
  if (at === -1 || (at > 0 && header[at - 1] !== ' ' && header[at - 1] !== ';')) return undefined;
  const start = at + BUCKET_COOKIE.length + 1;
  const end = header.indexOf(';', start);
  const v = header.slice(start, end === -1 ? undefined : end).trim();
  return COOKIE_VALUE.test(v) ? v : undefined;
}

/**
 * Who the request belongs to, for sticky rollout: the authenticated user (routes with `auth:`), else the
 * gateway's `figway_bucket` cookie. A request without either gets a fresh random cookie, and is decided by it
 * at once, so a browser's first request is already on the side it will stay on.
 */
export function stickyKey(request: FastifyRequest, reply: FastifyReply): string {
  const user = request.figwayUser?.userId;
  if (user !== undefined) return `u:${user}`;
  const existing = cookieValue(request.headers.cookie);
  if (existing) return `c:${existing}`;
  const minted = randomBytes(16).toString('base64url');
  const secure = request.protocol === 'https' ? '; Secure' : '';
  reply.header(
    'set-cookie',
    `${BUCKET_COOKIE}=${minted}; Path=/; Max-Age=${MAX_AGE_S}; HttpOnly; SameSite=Lax${secure}`,
  );
  return `c:${minted}`;
}
