import type { OutgoingHttpHeaders } from 'node:http';
import type { GatewayConfig } from '../config';
import type { HeadEdit, ProxiedResponses, ResponseTransform } from '../proxy/response-transforms';
import type { CompiledRoute } from '../routing';
import { CORS_FIELDS, corsEnabled, isCorsPath, mayMatchCorsPath } from './cors';
import { isHtml, type CspPolicy } from './csp-policy';
import { canStamp, stampingSink } from './html-nonce-stamper';
import { createNonce } from './nonce';
import { HELMET_SKIPPED, type SecurityHeaders } from './security-headers';

/**
 * Fields of a stamped HTML body that would lie after the rewrite: its length changed, it is sent decoded, and
 * a strong validator names the upstream's exact bytes (RFC 9110 8.8.1), not the stamped ones.
 */
const REWRITTEN_BODY: HeadEdit = { drop: new Set(['content-length', 'content-encoding', 'etag']), append: [] };
/** A proxied /api/v2 answer never takes CORS fields from its upstream: the gateway's CORS policy is the one. */
const CORS_OWNED: HeadEdit = { drop: new Set(CORS_FIELDS), append: [] };

/** The gateway's security header set on proxied answers: upstream copies and banners go, the fixed set is added. */
export function securityHeadersTransform(security: SecurityHeaders): ResponseTransform {
  const edit: HeadEdit = { drop: security.upstreamDropped, append: security.fixedPairs };
  // A stored head gets the fixed set from `answer`, as every head the gateway writes itself.
  const storedEdit: HeadEdit = { drop: security.upstreamDropped, append: [] };
  return {
    relay(head) {
      head.edits.push(edit);
    },
    stored(head) {
      head.edits.push(storedEdit);
    },
    answer(headers) {
      Object.assign(headers, security.fixed);
    },
  };
}

/**
 * CSP for proxied answers (undefined when CSP_MODE=off): the nonce policy and a stamped body for HTML, the API
 * policy for everything else, including every answer the gateway writes itself.
 */
export function cspTransform(csp: CspPolicy): ResponseTransform | undefined {
  const name = csp.headerName;
  if (!name) return undefined;
  return {
    // CSP Level 3 7.1: a fresh nonce per response, also for bodies that turn out not to be HTML (known only later).
    nonce: createNonce,
    relay(head) {
      const html = isHtml(head.facts.contentType);
      const nonce = head.nonce!;
      head.own[name] = html ? csp.htmlPolicy(nonce) : csp.apiPolicy;
      const coding = head.facts.coding;
      // Only HTML with a nonce in its policy goes through the rewriter; every other body is relayed byte for byte.
      if (html && !head.bodiless && canStamp(coding)) {
        head.edits.push(REWRITTEN_BODY);
        head.body = (out) => stampingSink(out, nonce, coding);
      }
    },
    answer(headers) {
      headers[name] = csp.apiPolicy;
    },
  };
}

/** CORS field ownership on /api/v2 paths (Fetch standard, "CORS protocol"; the fields come from installCors). */
export function corsTransform(): ResponseTransform {
  return {
    relay(head) {
      if (!isCorsPath(head.path)) return;
      // The CORS hook set `Vary: Origin` on the reply; the upstream's own Vary fields must survive next to it.
      const vary = head.facts.vary;
      if (vary) head.own.vary = `${vary}, ${head.own.vary ?? 'Origin'}`;
      head.edits.push(CORS_OWNED);
    },
    stored(head) {
      if (!isCorsPath(head.path)) return;
      const vary = head.stored.vary;
      if (vary) head.own.vary = `${String(vary)}, ${head.own.vary ?? 'Origin'}`;
      head.edits.push(CORS_OWNED);
    },
  };
}

/**
 * What the gateway's policy does to the answers the forwarder writes, decided once at boot: every proxied route
 * gets the security headers and CSP; CORS ownership only a route whose patterns can match an /api/v2 path.
 */
export function compileProxiedResponses(config: GatewayConfig, security: SecurityHeaders): ProxiedResponses {
  const base = proxiedTransforms(security);
  const withCors = corsEnabled(config) ? [...base, corsTransform()] : base;
  const corsFor = (route: CompiledRoute) => route.patterns.some(mayMatchCorsPath);
  return {
    transformsFor: (route) => (withCors !== base && corsFor(route) ? withCors : base),
    // Helmet's hooks would edit a reply the forwarder hijacked: the transforms above do its work there.
    routeConfig: { helmet: HELMET_SKIPPED },
  };
}

/** Security headers, then CSP: the order their fields take in a head. */
function proxiedTransforms(security: SecurityHeaders): ResponseTransform[] {
  const csp = cspTransform(security.csp);
  return csp ? [securityHeadersTransform(security), csp] : [securityHeadersTransform(security)];
}

/** The fields every head the gateway writes itself gets (what the transforms' `answer` adds), over `own`. */
export interface ProxiedHeaders {
  readonly security: SecurityHeaders;
  withFixed(own: OutgoingHttpHeaders): OutgoingHttpHeaders;
}

export function compileProxiedHeaders(security: SecurityHeaders): ProxiedHeaders {
  const transforms = proxiedTransforms(security);
  return {
    security,
    withFixed(own) {
      const out: OutgoingHttpHeaders = { ...own };
      for (const t of transforms) t.answer?.(out);
      return out;
    },
  };
}
