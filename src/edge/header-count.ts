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
