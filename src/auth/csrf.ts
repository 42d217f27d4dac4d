import type { IncomingHttpHeaders } from 'node:http';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Sec-Fetch-Site values a browser sends only when no other origin initiated the request (Fetch Metadata). */
const NOT_CROSS_ORIGIN = new Set(['same-origin', 'none']);

/**
 * A cookie travels with cross-site requests, a bearer token does not: a cookie-authenticated unsafe request must
 * not come from another origin. The decision follows Go 1.25's net/http CrossOriginProtection (and Filippo
 * Valsorda's write-up of it): browsers send Sec-Fetch-Site on every request (all of them since 2023) and Origin on
 * every cross-origin POST, so
 * - Sec-Fetch-Site present: `same-origin` or `none` (typed URL, bookmark) pass, anything else is cross-origin;
 * - else no Origin either: not a browser (curl, a mobile app, a script), which cannot be a forged request; pass;
 * - else the Origin's host must be the Host (scheme-less: an older browser's http->https is let through, as Go does).
 * CSRF tokens stay the legacy app's business.
 */
export function crossSiteRefused(method: string, headers: IncomingHttpHeaders): boolean {
  if (SAFE.has(method)) return false;
  const site = headers['sec-fetch-site'];
  if (site) return !NOT_CROSS_ORIGIN.has(site);
  const origin = headers.origin;
  if (!origin) return false;
  if (origin === 'null') return true; // sandboxed frames, data: URLs, some redirects: an opaque, foreign origin
  try {
    return new URL(origin).host !== (headers.host ?? headers[':authority']);
  } catch {
    return true;
  }
}
