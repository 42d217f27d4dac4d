import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const CACHE_PREFIX = 'fc:';

/**
 * `fc:<path>?<sorted query>|h=<host>|r=<route>`: the path comes first so an operator can purge by URL prefix.
 * Query parameters are sorted so `?a=1&b=2` and `?b=2&a=1` share an entry; the request sent upstream keeps its
 * own order. The Host is part of the key because legacy apps may answer per virtual host.
 */
export function baseKey(routeId: string, rawUrl: string, host: string | undefined): string {
  return `${CACHE_PREFIX}${normalizeUrl(rawUrl)}|h=${(host ?? '').toLowerCase()}|r=${routeId}`;
}

/** Path untouched, query parameters sorted. */
export function normalizeUrl(rawUrl: string): string {
  const q = rawUrl.indexOf('?');
  if (q === -1) return rawUrl;
  const query = rawUrl.slice(q + 1).split('&').filter(Boolean).sort().join('&');
  return rawUrl.slice(0, q) + (query ? '?' + query : '');
}

/** The key of one Vary variant: the base key plus a hash of the request's values for the named fields. */
export function variantKey(base: string, varyNames: string[], headers: IncomingHttpHeaders): string {
  const h = createHash('sha256');
  for (const name of varyNames) h.update(`${name}:${String(headers[name] ?? '')}\n`);
  return `${base}#${h.digest('base64url').slice(0, 22)}`;
}

export function varyNames(vary: string | string[] | undefined): string[] | '*' {
  if (!vary) return [];
  const names = (Array.isArray(vary) ? vary.join(',') : vary).split(',').map((v) => v.trim().toLowerCase()).filter(Boolean);
  return names.includes('*') ? '*' : [...new Set(names)].sort();
}
