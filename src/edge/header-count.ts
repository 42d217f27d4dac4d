import type { IncomingMessage } from 'node:http';

/**
 * Whether the request carries more header fields than allowed (Envoy's `max_headers_count`, 100 by default).
 * HTTP/2 pseudo-headers (`:method`, `:path`, ...) are not fields of the request and are not counted.
 */
export function tooManyHeaderFields(req: IncomingMessage, max: number): boolean {
  const raw = req.rawHeaders;
  if (raw.length <= 2 * max) return false;
  let fields = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].charCodeAt(0) !== 58 /* : */) fields++;
  return fields > max;
}

/**
 * Whether an HTTP/1.1 request has more than one `Host` field line. RFC 9112 3.2: a server MUST answer 400 to such a
 * message. Node keeps the first value silently, so without this check the gateway would route and cache on one
 * host while an upstream or a cache in front that keeps the last one (as some do) reads another.
 */
export function duplicateHost(req: IncomingMessage): boolean {
  const raw = req.rawHeaders;
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2)
    if (raw[i].length === 4 && raw[i].toLowerCase() === 'host' && ++seen > 1) return true;
  return false;
}
