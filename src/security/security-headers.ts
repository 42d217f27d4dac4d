import type { FastifyHelmetOptions } from '@fastify/helmet';
import type { GatewayConfig } from '../config';
import { apiDirectives, compileCspPolicy, CSP_REPORT_GROUP, CSP_REPORT_PATH, type CspPolicy } from './csp-policy';

/**
 * The gateway's security header set, decided once at boot from the config. Fastify-answered replies get it from
 * @fastify/helmet (configured by `helmetOptions`), hijacked proxied replies from the forwarder (`proxied`); both
 * come from the values below, and security-headers.spec.ts checks that helmet's output equals `fixed`.
 */
export interface SecurityHeaders {
  readonly csp: CspPolicy;
  /** Every non-CSP field, lowercase name -> value, in the order they are sent. */
  readonly fixed: Readonly<Record<string, string>>;
  /** Flat [name, value, ...] of `fixed`, appended to proxied heads without a per-request object. */
  readonly fixedPairs: readonly string[];
  /**
   * Upstream fields a proxied response never passes on: the ones the gateway sets itself (its policy wins over
   * the upstream's, see README "Security headers and CSP") and those that advertise server software.
   */
  readonly upstreamDropped: ReadonlySet<string>;
}

/** Software banners (RFC 9110 10.2.4 notes Server may help attackers find known holes). */
const BANNERS = ['server', 'x-powered-by', 'x-aspnet-version', 'x-aspnetmvc-version'];

/** Powerful features a gateway-fronted API or page has no business using; `()` is the empty allow-list. */
const PERMISSIONS_POLICY = [
  'accelerometer=()',
  'camera=()',
  'geolocation=()',
  'gyroscope=()',
  'magnetometer=()',
  'microphone=()',
  'payment=()',
  'usb=()',
].join(', ');

/** HSTS only means something over TLS (RFC 6797 7.2: ignored on plain HTTP); kept ready for TLS_CERT_FILE. */
const HSTS = { maxAge: 31_536_000, includeSubDomains: true };

export function compileSecurityHeaders(config: GatewayConfig): SecurityHeaders {
  const csp = compileCspPolicy(config.cspMode, Boolean(config.tls));
  const fixed: Record<string, string> = {
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'origin-agent-cluster': '?1',
    'referrer-policy': 'no-referrer',
  };
  if (config.tls) fixed['strict-transport-security'] = `max-age=${HSTS.maxAge}; includeSubDomains`;
  Object.assign(fixed, {
    'x-content-type-options': 'nosniff',
    'x-dns-prefetch-control': 'off',
    'x-download-options': 'noopen',
    'x-frame-options': 'DENY',
    'x-permitted-cross-domain-policies': 'none',
    'x-xss-protection': '0',
    'permissions-policy': PERMISSIONS_POLICY,
  });
  // Reporting API endpoint named by the HTML policy's report-to; a relative URL resolves against the page.
  if (csp.headerName && config.tls) fixed['reporting-endpoints'] = `${CSP_REPORT_GROUP}="${CSP_REPORT_PATH}"`;
  const dropped = new Set([...BANNERS, ...Object.keys(fixed)]);
  if (csp.headerName) {
    dropped.add('content-security-policy');
    dropped.add('content-security-policy-report-only');
  }
  return {
    csp,
    fixed,
    fixedPairs: Object.entries(fixed).flat(),
    upstreamDropped: dropped,
  };
}

/**
 * The static part of the set as HTTP/1.1 head lines, for answers written straight to a socket (the parser's
 * 400/408/431, refused WebSocket upgrades): the non-HTML policy, since their bodies are problem documents.
 */
export function securityHeadLines(headers: SecurityHeaders): string {
  let lines = '';
  for (const [name, value] of Object.entries(headers.fixed)) lines += `${name}: ${value}\r\n`;
  if (headers.csp.headerName) lines += `${headers.csp.headerName}: ${headers.csp.apiPolicy}\r\n`;
  return lines;
}

/** Route config that makes helmet leave a route alone (@fastify/helmet's `helmet: false`, in config form). */
export const HELMET_SKIPPED = { skipRoute: true } as const;

/** Fields helmet does not set; the gateway's onSend hook adds them to Fastify-answered replies. */
export const NOT_FROM_HELMET = ['permissions-policy', 'reporting-endpoints'];

/** @fastify/helmet options producing `fixed` (minus NOT_FROM_HELMET) plus the non-HTML CSP. */
export function helmetOptions(config: GatewayConfig, headers: SecurityHeaders): FastifyHelmetOptions {
  const { csp } = headers;
  return {
    global: true,
    contentSecurityPolicy: csp.headerName
      ? { useDefaults: false, directives: apiDirectives(), reportOnly: csp.mode === 'report-only' }
      : false,
    crossOriginEmbedderPolicy: false,
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: config.tls ? HSTS : false,
    xDnsPrefetchControl: { allow: false },
    xFrameOptions: { action: 'deny' },
    xPermittedCrossDomainPolicies: { permittedPolicies: 'none' },
  };
}
