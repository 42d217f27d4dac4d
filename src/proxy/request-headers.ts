import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { connectionTokens, isHopByHop } from './hop-by-hop';
import { plainAddress, type TrustFn } from './client-address';

export interface ForwardContext {
  requestId: string;
  /** Host header to send: the client's (default) or the upstream's. */
  host: string;
  /** Who the gateway proved the caller to be, if anyone. */
  identity?: { userId: string; method: string };
  /** This response's CSP nonce, for templates that can put it on their own tags (X-CSP-Nonce). */
  cspNonce?: string;
}

/** The gateway's own identity fields; a client's copy (any case, `_` for `-`) never passes. */
export const IDENTITY_PREFIX = 'x-figway-';

/**
 * Fields undici refuses to send or that only make sense for this hop. `x-csp-nonce` is the gateway's to set: a
 * client choosing the nonce its page is stamped with could pre-compute script tags that run.
 */
const NEVER_FORWARDED = new Set([
  'host',
  'expect',
  'content-length',
  'x-request-id',
  'x-csp-nonce',
  ':authority',
  ':method',
  ':path',
  ':scheme',
]);
/**
 * Fields that ask the upstream framework to serve another path than the request line names (Symfony/Laminas/IIS
 * `X-Original-URL`/`X-Rewrite-URL`). The gateway decides route, auth, rate limit and cache key from the request line;
 * a field that makes legacy serve `/admin` behind a cached request to `/` undoes all of those (the cache-poisoning
 * and access-control bypasses of PortSwigger's web cache research), so none is relayed, whoever sent it.
 */
export const PATH_OVERRIDE_FIELDS = new Set(['x-original-url', 'x-rewrite-url', 'x-override-url']);

/**
 * The method-override family (Rails/Express/Google `X-HTTP-Method-Override`). Tunnelling PUT/PATCH/DELETE through a
 * POST is a legitimate, old client habit that legacy apps keep serving, and the gateway already treats every POST as
 * unsafe (CSRF check, never cached, never replayed): relayed there. On a safe method (GET, HEAD, OPTIONS, TRACE) it
 * would make legacy run a DELETE behind what the gateway cached, retried and let through without a CSRF check as a
 * GET (RFC 9110 9.2.1), so it is dropped.
 */
export const METHOD_OVERRIDE_FIELDS = new Set([
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  'x-original-method',
]);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** Both families, for a request whose method is safe (every WebSocket handshake is a GET). */
export const OVERRIDE_FIELDS = new Set([...PATH_OVERRIDE_FIELDS, ...METHOD_OVERRIDE_FIELDS]);

/**
 * Fields that claim who the original client is, or which host, scheme, port or prefix it used; believed only from a
 * TRUST_PROXY peer. Besides RFC 7239 `Forwarded` and the X-Forwarded-* family this lists the vendor spellings (CDNs,
 * nginx, Akamai) that frameworks and legacy apps read for "the client IP": sent by an untrusted client they would let
 * it pick the address legacy logs, allow-lists or rate-limits on.
 */
export const FORWARDING_FIELDS = [
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-forwarded-server',
  'x-forwarded',
  'forwarded-for',
  'forwarded',
  'x-real-ip',
  'x-client-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-cluster-client-ip',
  'x-original-forwarded-for',
];

/**
 * Every field the gateway drops or sets itself, whoever sends it: framing, hop-by-hop (isHopByHop), forwarding,
 * overrides, request id, nonce, identity (IDENTITY_PREFIX). A client's copy spelled with `_` for `-`
 * (`Transfer_Encoding`, `X_Forwarded_For`) is dropped too: servers that fold `_` into `-` (CGI-style stacks, older
 * gunicorn, Puma before CVE-2024-45614) would read it as the field itself, a framing or client address the client
 * picked. Other underscore names pass (nginx drops them all by default; Envoy's headers_with_underscores_action).
 */
const UNDERSCORE_TWIN_OF = new Set([...NEVER_FORWARDED, ...OVERRIDE_FIELDS, ...FORWARDING_FIELDS]);

/** Whether `name` (lower case, with a `_`) reads as a field the gateway owns once `_` is taken for `-`. */
export function isProtectedTwin(name: string): boolean {
  const folded = name.replace(/_/g, '-');
  return isHopByHop(folded) || UNDERSCORE_TWIN_OF.has(folded) || folded.startsWith(IDENTITY_PREFIX);
}

/** The authority the client asked for: Host in HTTP/1.1, the `:authority` pseudo-header in HTTP/2 (RFC 9113 8.3.1). */
export function clientHost(req: { headers: IncomingHttpHeaders }): string | undefined {
  return req.headers.host ?? (req.headers[':authority'] as string | undefined);
}

/**
 * Builds the headers of the outgoing request from the incoming one. Transforms, in order:
 * drop hop-by-hop and Connection-named fields (RFC 9110 7.6.1) and the underscore twins of the gateway's fields; set Host; set X-Forwarded-* believing the
 * client's values only when the socket peer is a trusted proxy; pass the request id (traceparent and all
 * end-to-end fields pass untouched).
 */
export function buildUpstreamHeaders(
  req: IncomingMessage,
  trust: TrustFn,
  ctx: ForwardContext,
): Record<string, string | string[]> {
  const incoming: IncomingHttpHeaders = req.headers;
  const out: Record<string, string | string[]> = {};
  const named = connectionTokens(incoming.connection);
  const safe = SAFE_METHODS.has(req.method ?? 'GET');
  for (const name in incoming) {
    if (isHopByHop(name) || NEVER_FORWARDED.has(name) || (safe ? OVERRIDE_FIELDS : PATH_OVERRIDE_FIELDS).has(name))
      continue;
    // Most names have no `_`: the fold is paid only by the few that do.
    if (name.includes('_') ? isProtectedTwin(name) : name.startsWith(IDENTITY_PREFIX)) continue;
    const value = incoming[name];
    if (value === undefined) continue;
    out[name] = value;
  }
  for (const n of named) delete out[n];
  if (incoming['content-length'] !== undefined && incoming['transfer-encoding'] === undefined) {
    out['content-length'] = incoming['content-length'];
  }

  const peer = plainAddress(req.socket.remoteAddress);
  const trusted = trust(peer, 0);
  if (!trusted) for (const f of FORWARDING_FIELDS) delete out[f];
  const priorFor = trusted ? incoming['x-forwarded-for'] : undefined;
  out['x-forwarded-for'] = priorFor ? `${priorFor}, ${peer}` : peer;
  const proto = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  out['x-forwarded-proto'] = (trusted && (incoming['x-forwarded-proto'] as string)) || proto;
  out['x-forwarded-host'] = (trusted && (incoming['x-forwarded-host'] as string)) || clientHost(req) || '';
  out.host = ctx.host;
  out['x-request-id'] = ctx.requestId;
  if (ctx.cspNonce) out['x-csp-nonce'] = ctx.cspNonce;
  if (ctx.identity) {
    out['x-figway-user-id'] = ctx.identity.userId;
    out['x-figway-auth-method'] = ctx.identity.method;
  }
  return out;
}
