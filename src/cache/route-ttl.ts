import type { IncomingHttpHeaders } from 'node:http';

const LIFETIME = /(^|,)\s*(max-age|s-maxage)\s*=/i;

/**
 * A route's `ttl_s` stands in for a lifetime the upstream did not state. It never makes a response storable that
 * the upstream marked no-store, private or no-cache: those directives still win inside the cache policy.
 */
export function withRouteTtl(headers: IncomingHttpHeaders, ttlS: number | undefined): IncomingHttpHeaders {
  if (!ttlS) return headers;
  const cc = headers['cache-control'];
  if ((cc && LIFETIME.test(cc)) || headers.expires) return headers;
  return { ...headers, 'cache-control': cc ? `${cc}, s-maxage=${ttlS}` : `s-maxage=${ttlS}` };
}
