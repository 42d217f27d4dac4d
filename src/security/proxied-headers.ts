import type { OutgoingHttpHeaders } from 'node:http';
import { CORS_FIELDS } from './cors';
import { isHtml } from './csp-policy';
import type { SecurityHeaders } from './security-headers';

/** What the forwarder changes in an upstream head: upstream fields dropped, gateway fields appended. */
export interface HeadEdit {
  readonly drop: ReadonlySet<string>;
  readonly append: readonly string[];
}

/**
 * Fields of a stamped HTML body that would lie after the rewrite: its length changed, it is sent decoded, and
 * a strong validator names the upstream's exact bytes (RFC 9110 8.8.1), not the stamped ones.
 */
const REWRITTEN_BODY_FIELDS = ['content-length', 'content-encoding', 'etag'];

/** The four head edits a proxied response can need, built at boot so the hot path only picks one. */
export interface ProxiedHeaders {
  readonly security: SecurityHeaders;
  edit(html: boolean, corsOwned: boolean): HeadEdit;
  /** Cold paths (problems, cache hits): the fixed set plus the non-HTML policy, over `own`. */
  withFixed(own: OutgoingHttpHeaders): OutgoingHttpHeaders;
}

export function compileProxiedHeaders(security: SecurityHeaders): ProxiedHeaders {
  const make = (...extra: string[][]): HeadEdit => ({
    drop: new Set([...security.upstreamDropped, ...extra.flat()]),
    append: security.fixedPairs,
  });
  const edits = [make(), make(REWRITTEN_BODY_FIELDS), make(CORS_FIELDS), make(REWRITTEN_BODY_FIELDS, CORS_FIELDS)];
  const { csp, fixed } = security;
  return {
    security,
    edit: (html, corsOwned) => edits[(html ? 1 : 0) + (corsOwned ? 2 : 0)],
    withFixed(own) {
      const out: OutgoingHttpHeaders = { ...own, ...fixed };
      if (csp.headerName) out[csp.headerName] = csp.apiPolicy;
      return out;
    },
  };
}

/** The few upstream fields the forwarder decides on, found in one pass over the raw head. */
export interface HeadFacts {
  html: boolean;
  /** text/event-stream: a long-lived stream, counted while open. */
  stream?: boolean;
  coding?: string;
  vary?: string;
}

export function headFacts(raw: Buffer[]): HeadFacts {
  const facts: HeadFacts = { html: false };
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i];
    // Length first: most fields are dismissed without decoding their name.
    if (n.length === 12 && n.toString('latin1').toLowerCase() === 'content-type') {
      const type = raw[i + 1].toString('latin1');
      facts.html = isHtml(type);
      facts.stream = /^\s*text\/event-stream/i.test(type);
    } else if (n.length === 16 && n.toString('latin1').toLowerCase() === 'content-encoding') {
      facts.coding = raw[i + 1].toString('latin1').trim().toLowerCase();
    } else if (n.length === 4 && n.toString('latin1').toLowerCase() === 'vary') {
      const v = raw[i + 1].toString('latin1');
      facts.vary = facts.vary ? `${facts.vary}, ${v}` : v;
    }
  }
  return facts;
}
