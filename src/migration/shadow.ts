import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { TrustFn } from '../proxy/client-address';
import type { BodyTap } from '../proxy/forwarder';
import { buildUpstreamHeaders, clientHost } from '../proxy/request-headers';
import type { UpstreamSet } from '../proxy/upstream-set';
import { splitTarget, type CompiledRoute } from '../routing';
import type { Counter as PromCounter } from 'prom-client';
import { diffJson, formatPath, realDifferences, type Difference, type JsonPath } from './json-diff';
import type { RouteLive, ShadowSettings } from './live-state';

/** One side's answer as compared: `body` null when it was over `max_body_bytes` (not compared). */
export interface Captured {
  status: number;
  headers: IncomingHttpHeaders | Record<string, unknown>;
  body: Buffer | null;
}

/** A copy of one request, ready to send to one side; built while the request is current (headers snapshot). */
export type ShadowCall = (maxBytes: number) => Promise<Captured>;
export type ShadowTarget = (request: FastifyRequest) => ShadowCall;

const SAFE = new Set(['GET', 'HEAD']);
/** Every `result` of gateway_shadow_total. */
const SHADOW_RESULTS = ['same', 'diff', 'error', 'too_large', 'skipped'] as const;
const REDACTED = new Set(['cookie', 'set-cookie', 'authorization', 'proxy-authorization']);
const RING_SIZE = 50;
const MAX_IN_FLIGHT = 32;
const SHOWN_BODY_CHARS = 2_048;
/** Differences and noise paths kept per entry. */
const MAX_LISTED = 20;
export const SHADOW_TOKEN_HEADER = 'x-figway-shadow';

/** Captures the primary body as it streams to the client, up to `max` bytes (past it: nothing to compare). */
class CaptureTap implements BodyTap {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(
    private readonly max: number,
    private readonly done: (body: Buffer | null, complete: boolean) => void,
  ) {}
  data(chunk: Buffer): void {
    if (this.size > this.max) return;
    this.size += chunk.length;
    if (this.size > this.max) this.chunks = [];
    else this.chunks.push(chunk);
  }
  end(complete: boolean): void {
    this.done(this.size > this.max ? null : Buffer.concat(this.chunks, this.size), complete);
  }
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }, max: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) {
      body.destroy();
      return null;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** A copy sent over undici to legacy or an http upstream, with the same header rules as the forwarder. */
export function httpTarget(set: UpstreamSet, route: CompiledRoute, trust: TrustFn): ShadowTarget {
  return (request) => {
    const upstream = set.pick(undefined, false);
    const [path, query] = splitTarget(request.raw.url ?? '/');
    const identity = request.figwayUser;
    const host = route.preserveHost ? (clientHost(request) ?? upstream.host) : upstream.host;
    const headers = buildUpstreamHeaders(request.raw, trust, { requestId: request.id, host, identity });
    delete headers['content-length'];
    // Lets an upstream recognise a mirrored request (and skip side effects or its own logging).
    headers[SHADOW_TOKEN_HEADER] = '1';
    const method = request.method as 'GET';
    return async (max) => {
      const res = await upstream.pool.request({
        path: upstream.prefix + route.rewrite(path) + query,
        method,
        headers,
        headersTimeout: route.timeoutMs,
        bodyTimeout: route.timeoutMs,
      });
      return { status: res.statusCode, headers: res.headers, body: await readCapped(res.body, max) };
    };
  };
}

/** A copy answered by a v2 module in this process: fastify.inject, marked so the route's steering lets it through. */
export function injectTarget(fastify: FastifyInstance, token: string): ShadowTarget {
  return (request) => {
    const headers: Record<string, string | string[] | undefined> = { ...request.headers, [SHADOW_TOKEN_HEADER]: token };
    for (const h of ['connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade']) delete headers[h];
    const method = request.method as 'GET';
    const url = request.raw.url ?? '/';
    return async (max) => {
      const res = await fastify.inject({ method, url, headers: headers as Record<string, string> });
      return {
        status: res.statusCode,
        headers: res.headers,
        body: res.rawPayload.length > max ? null : res.rawPayload,
      };
    };
  };
}

export interface ShadowDiff {
  at: string;
  route: string;
  method: string;
  /** Path only: a query string may carry tokens. */
  path: string;
  primary: { side: string; status: number; headers: Record<string, unknown>; body: string };
  shadow: { side: string; status: number; headers: Record<string, unknown>; body: string };
  differences: Difference[];
  /** The route's `shadow.ignore` paths as written in routes.yaml (`$.generated_at`): never compared. */
  ignored: string[];
  /**
   * What differed between the two answers of the primary side itself (a timestamp, a request id): the noise filter
   * left these out of `differences`. Body paths (`$.x`), `status`, `header <name>` or `body` for a non-JSON body.
   */
  noise: string[];
}

function parseJson(b: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(b.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

const headerValue = (h: Captured['headers'], name: string) => {
  const v = (h as Record<string, unknown>)[name];
  return v === undefined ? undefined : Array.isArray(v) ? v.join(', ') : String(v);
};

function shown(c: Captured, names: string[], side: string) {
  const headers: Record<string, unknown> = {};
  for (const n of names) headers[n] = REDACTED.has(n) ? '[redacted]' : headerValue(c.headers, n);
  const text = c.body ? c.body.toString('utf8') : '';
  return {
    side,
    status: c.status,
    headers,
    body: text.length > SHOWN_BODY_CHARS ? `${text.slice(0, SHOWN_BODY_CHARS)}...` : text,
  };
}

/**
 * Shadow traffic: picks the sampled requests, runs the copies after the primary answer is out, compares, counts
 * and keeps a bounded ring of recent differences. Never on the client's path: the client gets the primary answer
 * as it streams, the comparison starts once its body is complete.
 */
export class ShadowRunner {
  /** Marks this process's injected copies, so a module route's steering serves them from the module. */
  readonly token = randomBytes(16).toString('hex');
  private readonly ring: ShadowDiff[] = [];
  private inFlight = 0;
  /**
   * Told of every copy (the rollout's evidence): the side it went to, its status (0 when it failed), how long it
   * took, and the comparison's result (`none` when it was not compared).
   */
  onCopy?: (route: string, side: string, status: number, ms: number, result: 'same' | 'diff' | 'none') => void;
  private readonly total: Counter<'route' | 'result'>;

  constructor(
    registry: Registry,
    private readonly diffs: PromCounter<'route'>,
    private readonly log: { warn(msg: string): void },
  ) {
    this.total = new Counter({
      name: 'gateway_shadow_total',
      help: 'Shadowed requests by route id and result (same, diff, error, too_large, skipped)',
      labelNames: ['route', 'result'] as const,
      registers: [registry],
    });
  }

  /** Starts a route's series at 0 (known at boot, see telemetry/known-series.ts): its first difference is seen. */
  expect(route: string): void {
    for (const result of SHADOW_RESULTS) this.total.inc({ route, result }, 0);
    this.diffs.inc({ route }, 0);
  }

  /** The sampling decision, made when the primary request starts. */
  wants(s: ShadowSettings, method: string, bodiless: boolean): boolean {
    if (!SAFE.has(method) && !(s.allowUnsafe && bodiless)) return false;
    return s.sample >= 1 || Math.random() < s.sample;
  }

  /**
   * Prepares the two copies (the shadow side's, and the primary's again for the noise filter) and returns the
   * tap for the primary body, or undefined when too many comparisons are already running.
   */
  start(
    live: RouteLive,
    request: FastifyRequest,
    primary: { side: string; target: ShadowTarget },
    other: { side: string; target: ShadowTarget },
  ) {
    const s = live.shadow!;
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.total.inc({ route: live.id, result: 'skipped' });
      return undefined;
    }
    const again = primary.target(request);
    const copy = other.target(request);
    const meta = { route: live.id, method: request.method, path: splitTarget(request.raw.url ?? '/')[0] };
    return (status: number, headers: Captured['headers']): BodyTap =>
      new CaptureTap(s.maxBodyBytes, (body, complete) => {
        if (!complete) return;
        this.inFlight++;
        this.compare(s, meta, { status, headers, body }, again, copy, primary.side, other.side)
          .catch((err: Error) => {
            this.total.inc({ route: meta.route, result: 'error' });
            this.log.warn(`shadow ${meta.route}: ${err.message}`);
          })
          .finally(() => this.inFlight--);
      });
  }

  recent(): ShadowDiff[] {
    return [...this.ring].reverse();
  }

  private async compare(
    s: ShadowSettings,
    meta: { route: string; method: string; path: string },
    primary: Captured,
    again: ShadowCall,
    copy: ShadowCall,
    primarySide: string,
    otherSide: string,
  ): Promise<void> {
    const started = performance.now();
    const timed = copy(s.maxBodyBytes).then(
      (c) => ({ c, ms: performance.now() - started }),
      (err: unknown) => {
        this.onCopy?.(meta.route, otherSide, 0, performance.now() - started, 'none');
        throw err;
      },
    );
    const [{ c: shadow, ms }, second] = await Promise.all([timed, again(s.maxBodyBytes).catch(() => undefined)]);
    const report = (result: 'same' | 'diff' | 'none') =>
      this.onCopy?.(meta.route, otherSide, shadow.status, ms, result);
    if (!primary.body || !shadow.body) {
      this.total.inc({ route: meta.route, result: 'too_large' });
      return report('none');
    }
    const { differences, noise } = this.differences(s, primary, shadow, second);
    if (differences.length === 0) {
      this.total.inc({ route: meta.route, result: 'same' });
      return report('same');
    }
    report('diff');
    this.total.inc({ route: meta.route, result: 'diff' });
    this.diffs.inc({ route: meta.route });
    const names = s.compareHeaders;
    this.ring.push({
      at: new Date().toISOString(),
      ...meta,
      primary: shown(primary, names, primarySide),
      shadow: shown(shadow, names, otherSide),
      differences: differences.slice(0, MAX_LISTED),
      ignored: s.ignore.map(formatPath),
      noise: noise.slice(0, MAX_LISTED),
    });
    if (this.ring.length > RING_SIZE) this.ring.shift();
  }

  /**
   * What differs between the primary answer and the copy, less what also differs between two primary answers
   * (`noise`, which is returned too: the console shows it as such). No second answer: nothing is noise.
   */
  private differences(
    s: ShadowSettings,
    primary: Captured,
    shadow: Captured,
    second: Captured | undefined,
  ): { differences: Difference[]; noise: string[] } {
    const differences: Difference[] = [];
    const noise: string[] = [];
    const [pb, sb] = [primary.body!, shadow.body!];
    if (second && second.status !== primary.status) noise.push('status');
    else if (primary.status !== shadow.status)
      differences.push({ path: 'status', primary: primary.status, shadow: shadow.status });
    for (const h of s.compareHeaders) {
      const p = headerValue(primary.headers, h);
      if (second && headerValue(second.headers, h) !== p) noise.push(`header ${h}`);
      else if (p !== headerValue(shadow.headers, h)) {
        differences.push({
          path: `header ${h}`,
          primary: REDACTED.has(h) ? '[redacted]' : p,
          shadow: REDACTED.has(h) ? '[redacted]' : headerValue(shadow.headers, h),
        });
      }
    }
    const pj = parseJson(pb);
    const sj = parseJson(sb);
    if (pj.ok && sj.ok) {
      const aj = second?.body && second.status === primary.status ? parseJson(second.body) : { ok: false as const };
      const volatile: JsonPath[] = aj.ok ? diffJson(pj.value, aj.value) : [];
      noise.push(...volatile.map(formatPath));
      differences.push(...realDifferences(pj.value, sj.value, s.ignore, volatile));
    } else if (second?.body && !second.body.equals(pb)) noise.push('body');
    else if (!pb.equals(sb))
      differences.push({ path: 'body', primary: `${pb.length} bytes`, shadow: `${sb.length} bytes` });
    return { differences, noise };
  }
}
