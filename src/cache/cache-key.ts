import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const CACHE_PREFIX = 'fc:';

/**
 * `fc:<request target as sent>|h=<host>|r=<route>`: the path comes first so an operator can purge by URL prefix.
 * The query is keyed as sent (nginx's `$request_uri`, Varnish's default), never sorted: apps read a repeated name
 * positionally (Flask's `request.args.get` takes the first value, PHP the last), so reordering the values of one
 * name would hand one client's answer to another (cache poisoning). Sorting by name alone is not safe either:
 * apps decode names before comparing them (Flask reads `%76=evil&v=good` as `v=evil, v=good`), some also split on
 * `;` (Rack 2, Python before 3.9.2, CVE-2021-23336) or ignore case (ASP.NET), so two names that sort apart can
 * be one name to the app. Another order only costs a miss. The Host is part of the key because legacy apps may
 * answer per virtual host.
 */
export function baseKey(routeId: string, rawUrl: string, host: string | undefined): string {
  return `${CACHE_PREFIX}${rawUrl}|h=${(host ?? '').toLowerCase()}|r=${routeId}`;
}

/** The key of one Vary variant: the base key plus a hash of the request's values for the named fields. */
export function variantKey(base: string, varyNames: string[], headers: IncomingHttpHeaders): string {
  const h = createHash('sha256');
  for (const name of varyNames) h.update(`${name}:${String(headers[name] ?? '')}\n`);
  return `${base}#${h.digest('base64url').slice(0, 22)}`;
}

export function varyNames(vary: string | string[] | undefined): string[] | '*' {
  if (!vary) return [];
  const names = (Array.isArray(vary) ? vary.join(',') : vary)
    .split(',')
    .map((v) => v.trim().toLowerCase())
    .filter(Boolean);
  return names.includes('*') ? '*' : [...new Set(names)].sort();
}
