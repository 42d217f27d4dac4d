import type { GatewayConfig } from '../config';

export type CspMode = GatewayConfig['cspMode'];

/** The path browsers post violation reports to; answered by the gateway itself (src/security/csp-report.ts). */
export const CSP_REPORT_PATH = '/csp-report';
/** Endpoint name shared by the policy's `report-to` and the Reporting-Endpoints field (Reporting API). */
export const CSP_REPORT_GROUP = 'csp-endpoint';

/**
 * The two policies of the gateway, as strings built once at boot.
 *
 * - Non-HTML answers (JSON, problems, files) cannot run script at all: `default-src 'none'` with framing refused
 *   (CSP Level 3, the "API" policy the spec's examples give for resources that are never documents).
 * - HTML gets a nonce-based policy (CSP Level 3 8.2 "nonce-source"): same-origin files plus inline `<script>` and
 *   `<style>` elements carrying this response's nonce. Inline event handlers and `javascript:` URLs have no
 *   element to carry a nonce, so they stay blocked (script-src-attr falls back to script-src).
 *   Reports go to `report-uri` (CSP Level 2, still what every browser supports). `report-to` is added only when
 *   the gateway serves TLS itself: a browser that sees `report-to` ignores `report-uri` (CSP3 5.5), and Chromium
 *   (156, checked here) delivers no Reporting API report for a plain-HTTP page, so over HTTP it would silence
 *   reports altogether.
 */
export interface CspPolicy {
  readonly mode: CspMode;
  /** Field name in force: enforce or report-only; undefined when CSP_MODE=off (no CSP sent, nothing stamped). */
  readonly headerName?: 'content-security-policy' | 'content-security-policy-report-only';
  readonly apiPolicy: string;
  /** The HTML policy around a nonce: two string concatenations per response. */
  htmlPolicy(nonce: string): string;
}

const API_DIRECTIVES = { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] };

/** Serialised as helmet does (`;` without a space, CSP3 2.2.1 allows both), so both paths send equal bytes. */
function serialise(directives: Record<string, string[]>): string {
  return Object.entries(directives)
    .map(([name, values]) => (values.length ? `${name} ${values.join(' ')}` : name))
    .join(';');
}

export function compileCspPolicy(mode: CspMode, reportTo: boolean): CspPolicy {
  const marker = '\u0000';
  const html = serialise({
    'default-src': ["'self'"],
    'script-src': ["'self'", `'nonce-${marker}'`],
    'style-src': ["'self'", `'nonce-${marker}'`],
    'img-src': ["'self'", 'data:'],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    'report-uri': [CSP_REPORT_PATH],
    ...(reportTo ? { 'report-to': [CSP_REPORT_GROUP] } : {}),
  });
  const [a, b, c] = html.split(marker);
  return {
    mode,
    headerName:
      mode === 'off'
        ? undefined
        : mode === 'enforce'
          ? 'content-security-policy'
          : 'content-security-policy-report-only',
    apiPolicy: serialise(API_DIRECTIVES),
    htmlPolicy: (nonce) => a + nonce + b + nonce + c,
  };
}

/** For helmet, which takes the directives as an object. */
export function apiDirectives(): Record<string, string[]> {
  return { ...API_DIRECTIVES };
}

/** `text/html` (any case, with parameters); what browsers render as a document and so what gets a nonce. */
export function isHtml(contentType: string | string[] | number | undefined): boolean {
  if (typeof contentType !== 'string') return false;
  return contentType.length >= 9 && contentType.slice(0, 9).toLowerCase() === 'text/html';
}
