import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { connectionTokens, isHopByHop } from './hop-by-hop';

/**
 * Upstream response fields minus hop-by-hop ones; Node re-frames the body itself (chunked when there is no
 * Content-Length). `own` are the fields the gateway set before forwarding (request id, security headers):
 * upstream values win for end-to-end fields, the gateway's for its own.
 */
export function buildClientHeaders(upstream: IncomingHttpHeaders, own: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const named = connectionTokens(upstream.connection);
  for (const name in upstream) {
    if (isHopByHop(name)) continue;
    const v = upstream[name];
    if (v !== undefined) out[name] = v;
  }
  for (const n of named) delete out[n];
  for (const name in own) {
    const v = own[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}
