import type { IncomingHttpHeaders } from 'node:http';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A cookie travels with cross-site requests, a bearer token does not: a cookie-authenticated unsafe request must
 * show it comes from the same origin (Sec-Fetch-Site, else Origin against Host), the OWASP "verifying origin with
 * standard headers" defence. CSRF tokens stay the legacy app's business.
 */
export function crossSiteRefused(method: string, headers: IncomingHttpHeaders): boolean {
  if (SAFE.has(method)) return false;
  const site = headers['sec-fetch-site'];
  if (site) return site !== 'same-origin';
  const origin = headers.origin;
  if (!origin || origin === 'null') return true;
  try {
    return new URL(origin).host !== (headers.host ?? headers[':authority']);
  } catch {
    return true;
  }
}
