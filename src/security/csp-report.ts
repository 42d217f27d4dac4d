import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../errors/gateway-error';
import { toProblem } from '../errors/problem';
import { sendProblem } from '../errors/problem-writer';
import { addressKey } from '../rate-limit/client-key';
import { CSP_REPORT_PATH } from './csp-policy';

/** Reports are a few hundred bytes; a batch of them stays well under this. */
export const CSP_REPORT_BODY_LIMIT = 64 * 1024;
const FIELD_MAX = 200;
const MAX_TRACKED_CLIENTS = 50_000;

/** CSP Level 3 directive names (section 6): the only values the metric's label may take, besides `other`. */
const DIRECTIVES = new Set([
  'default-src',
  'script-src',
  'script-src-elem',
  'script-src-attr',
  'style-src',
  'style-src-elem',
  'style-src-attr',
  'img-src',
  'font-src',
  'connect-src',
  'media-src',
  'object-src',
  'frame-src',
  'child-src',
  'worker-src',
  'manifest-src',
  'prefetch-src',
  'base-uri',
  'form-action',
  'frame-ancestors',
  'navigate-to',
  'sandbox',
  'require-trusted-types-for',
  'trusted-types',
  'upgrade-insecure-requests',
  'webrtc',
  'fenced-frame-src',
]);

/** Every value of the metric's `directive` label. */
export const DIRECTIVE_LABELS = [...DIRECTIVES, 'other'];

export function directiveLabel(raw: unknown): string {
  if (typeof raw !== 'string') return 'other';
  // Level 2 reports put the whole directive ("script-src 'self'") in violated-directive.
  const name = raw.trim().split(/\s+/, 1)[0].toLowerCase();
  return DIRECTIVES.has(name) ? name : 'other';
}

/** One violation, reduced to what is safe to log: URLs lose their query and fragment (tokens live there). */
export interface Violation {
  directive: string;
  disposition?: string;
  blocked?: string;
  document?: string;
  source?: string;
  line?: number;
}

function clip(v: unknown): string | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  let s = v;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    try {
      const u = new URL(s);
      s = u.origin + u.pathname;
    } catch {
      s = s.split(/[?#]/, 1)[0];
    }
  }
  return s.length > FIELD_MAX ? s.slice(0, FIELD_MAX) + '...' : s;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Both report shapes: `application/csp-report` (CSP Level 2 report-uri: {"csp-report": {...}}, kebab-case) and
 * `application/reports+json` (Reporting API: [{type: "csp-violation", body: {...}}], camelCase).
 */
export function parseViolations(text: string): Violation[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new GatewayError('BAD_REQUEST', 'The report is not JSON.');
  }
  if (Array.isArray(doc)) {
    return doc
      .filter((r) => r && typeof r === 'object' && r.type === 'csp-violation' && r.body && typeof r.body === 'object')
      .map(({ body: b }) => ({
        directive: directiveLabel(b.effectiveDirective ?? b.violatedDirective),
        disposition: clip(b.disposition),
        blocked: clip(b.blockedURL),
        document: clip(b.documentURL),
        source: clip(b.sourceFile),
        line: num(b.lineNumber),
      }));
  }
  const r = (doc as Record<string, unknown> | null)?.['csp-report'] as Record<string, unknown> | undefined;
  if (!r || typeof r !== 'object') throw new GatewayError('BAD_REQUEST', 'Expected a CSP violation report.');
  return [
    {
      directive: directiveLabel(r['effective-directive'] ?? r['violated-directive']),
      disposition: clip(r.disposition),
      blocked: clip(r['blocked-uri']),
      document: clip(r['document-uri']),
      source: clip(r['source-file']),
      line: num(r['line-number']),
    },
  ];
}

/**
 * Fixed one-minute windows per client address (IPv6 by /64), in memory: reports are advisory, so an instance's
 * own count is enough, and a page stuck in a violation loop (or someone flooding the endpoint) costs one map entry.
 */
export class ReportLimiter {
  private counts = new Map<string, number>();
  private windowEnds = 0;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until the window resets when refused, else 0. */
  take(ip: string): number {
    const t = this.now();
    if (t >= this.windowEnds) {
      this.counts.clear();
      this.windowEnds = t + 60_000;
    }
    const key = addressKey(ip);
    const n = this.counts.get(key) ?? 0;
    if (n >= this.perMinute || (n === 0 && this.counts.size >= MAX_TRACKED_CLIENTS)) {
      return Math.max(1, Math.ceil((this.windowEnds - t) / 1000));
    }
    this.counts.set(key, n + 1);
    return 0;
  }
}

export interface CspReportEvents {
  onViolation(directive: string): void;
  onLimited(): void;
}

function problem(request: FastifyRequest, reply: FastifyReply, err: unknown) {
  const p = toProblem(err, request.id, CSP_REPORT_PATH);
  return sendProblem(reply.header('cache-control', 'no-store'), p);
}

/**
 * POST /csp-report: the gateway's own endpoint (never proxied, no auth: browsers send reports without
 * credentials). 204 when accepted; 429 with Retry-After past `perMinute` reports per client; 413 past 64 KiB;
 * 415 for other media types. Each violation is counted by directive and logged on one line.
 */
export async function registerCspReportRoute(
  fastify: FastifyInstance,
  log: FastifyBaseLogger,
  events: CspReportEvents,
  perMinute = 20,
): Promise<void> {
  const limiter = new ReportLimiter(perMinute);
  await fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      ['application/csp-report', 'application/reports+json', 'application/json'],
      { parseAs: 'string', bodyLimit: CSP_REPORT_BODY_LIMIT },
      (_req, body, done) => done(null, body),
    );
    scope.setErrorHandler((err, request, reply) => problem(request, reply, err));
    scope.route({
      method: 'POST',
      url: CSP_REPORT_PATH,
      bodyLimit: CSP_REPORT_BODY_LIMIT,
      // Before the body is read: a flood costs no parsing.
      onRequest: (request, reply, done) => {
        const retryAfter = limiter.take(request.ip);
        if (retryAfter === 0) return done();
        events.onLimited();
        reply.header('retry-after', retryAfter);
        problem(request, reply, new GatewayError('RATE_LIMITED', 'Too many CSP reports from this client; dropped.'));
      },
      handler: (request, reply) => {
        const violations = parseViolations(typeof request.body === 'string' ? request.body : '');
        for (const v of violations) {
          events.onViolation(v.directive);
          log.info({ reqId: request.id, csp: v }, 'csp violation');
        }
        return reply.code(204).send();
      },
    });
    scope.route({
      method: ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
      url: CSP_REPORT_PATH,
      handler: (request, reply) => {
        reply.header('allow', 'POST');
        return problem(request, reply, new GatewayError('METHOD_NOT_ALLOWED', 'Reports are POSTed.'));
      },
    });
  });
}
