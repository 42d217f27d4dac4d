import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import CachePolicy from 'http-cache-semantics';
import { hasBody, type Exchange, type ExchangeCache, type UpstreamResponse } from '../proxy/forwarder';
import { isHtml } from '../security/csp-policy';
import type { KeyValueStore } from '../store/key-value-store';
import { baseKey, variantKey, varyNames } from './cache-key';
import { encode, RecentDecodings, type StoredValue } from './cache-entry';
import { withRouteTtl } from './route-ttl';
import { StoredPolicy } from './stored-policy';
import { UncacheableMemory } from './uncacheable-memory';

export const CACHE_RESULTS = ['HIT', 'MISS', 'STALE', 'BYPASS'] as const;
export type CacheResult = (typeof CACHE_RESULTS)[number];
type StoredResponse = Extract<StoredValue, { kind: 'response' }>;

export interface CacheOptions {
  maxEntryBytes: number;
  lockTimeoutMs: number;
  /** How long a key or route seen answering uncacheable skips the store lookup (UncacheableMemory); 0: never. */
  uncacheableTtlMs?: number;
}

export interface CacheEvents {
  onResult?(routeId: string, result: CacheResult): void;
  onStoreError?(op: 'get' | 'set', err: unknown): void;
}

// Explicit freshness only (max-age, s-maxage, Expires, or a route ttl): no heuristic lifetimes for legacy pages.
const POLICY_OPTIONS = { shared: true, cacheHeuristic: 0, immutableMinTimeToLive: 0 };
const CACHEABLE_STATUS = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]);
/** The X-Cache field of relayed answers, one object per verdict rather than one per request (only ever read). */
const X_CACHE: Readonly<Record<CacheResult, OutgoingHttpHeaders>> = {
  HIT: { 'x-cache': 'HIT' },
  MISS: { 'x-cache': 'MISS' },
  STALE: { 'x-cache': 'STALE' },
  BYPASS: { 'x-cache': 'BYPASS' },
};

/** The request as the cache key sees it (lowercase Host), so equal keys mean equal policy inputs. */
function policyRequest(req: IncomingMessage): CachePolicy.Request {
  const host = req.headers.host;
  const lower = host?.toLowerCase();
  // Copied only when the Host needs lowering: http-cache-semantics reads the headers, never writes them.
  return {
    url: req.url ?? '/',
    method: 'GET',
    headers: host === lower ? req.headers : { ...req.headers, host: lower },
  };
}

/**
 * The policy of a stored entry, rebuilt once per decoded entry rather than per hit: a hit on bytes that did not
 * change gets the same decoded entry back (cache-entry.ts), from the in-memory store or from Redis. A policy is only read (evaluateRequest, revalidatedPolicy
 * return new objects), and the time it judges by is read from the clock on each call.
 */
const policies = new WeakMap<StoredResponse, CachePolicy>();

function policyOf(entry: StoredResponse): CachePolicy {
  let p = policies.get(entry);
  if (p === undefined) {
    p = StoredPolicy.fromObject(entry.policy);
    policies.set(entry, p);
  }
  return p;
}

/** The record naming a key's Vary fields outlives any one variant; it is tiny, and a stale one only costs a miss. */
const VARY_RECORD_TTL_MS = 24 * 3_600_000;

function etagMatches(ifNoneMatch: string | undefined, etag: unknown): boolean {
  if (!ifNoneMatch || typeof etag !== 'string') return false;
  const weak = (t: string) => t.trim().replace(/^W\//, '');
  return ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').some((t) => weak(t) === weak(etag));
}

/**
 * HTML answered while CSP is on carries a per-response nonce (in its policy, in tags the upstream templated with
 * X-CSP-Nonce, in tags the gateway stamped): storing it would hand one nonce to every later client (CSP Level 3
 * 7.1), so it is neither stored nor, if an older instance stored it with CSP off, served.
 */
function noncedHtml(ex: Exchange, contentType: unknown): boolean {
  return ex.nonce !== undefined && isHtml(contentType as string | undefined);
}

/**
 * The shared response cache (RFC 9111 rules through http-cache-semantics), stored in the gateway's store so all
 * instances share entries. Bodies stream to the client while they are being collected; concurrent misses for one
 * key on an instance wait for the first one (nginx's proxy_cache_lock idea) instead of all going upstream.
 */
export class ResponseCache implements ExchangeCache {
  private readonly inflight = new Map<string, Promise<boolean>>();
  private readonly revalidating = new Set<string>();
  private readonly uncacheable: UncacheableMemory | undefined;
  private readonly decodings = new RecentDecodings();

  constructor(
    private readonly store: KeyValueStore,
    private readonly opts: CacheOptions,
    private readonly events: CacheEvents = {},
  ) {
    this.uncacheable = opts.uncacheableTtlMs ? new UncacheableMemory(opts.uncacheableTtlMs) : undefined;
  }

  takes(ex: Exchange): boolean {
    const m = ex.request.raw.method;
    return (m === 'GET' || m === 'HEAD') && ex.route.cache !== undefined;
  }

  async handle(ex: Exchange): Promise<void> {
    const req = ex.request.raw;
    if (this.bypasses(req, ex)) return this.relay(ex, await ex.call(), 'BYPASS');
    const base = baseKey(ex.route.id, req.url ?? '/', req.headers.host);
    // Recently uncacheable here: the lookup could only miss, and waiting on another request's fill is pointless.
    if (this.uncacheable?.skips(ex.route.id, base, Date.now())) return this.fetch(ex, base, ex.call(), false);
    const found = await this.lookup(base, req.headers);
    if (found && !noncedHtml(ex, found.value.headers['content-type']))
      return this.fromEntry(ex, base, found.key, found.value);
    const pending = this.inflight.get(base);
    if (pending && (await this.waitFor(pending))) {
      const again = await this.lookup(base, req.headers);
      if (again && !noncedHtml(ex, again.value.headers['content-type']))
        return this.fromEntry(ex, base, again.key, again.value);
    }
    return this.fetch(ex, base, ex.call());
  }

  private bypasses(req: IncomingMessage, ex: Exchange): boolean {
    const h = req.headers;
    if ((h.authorization || h.cookie) && !ex.route.cache?.withCredentials) return true;
    // A GET/HEAD body has no defined meaning (RFC 9110 9.3.1) but is forwarded, and an app that reads it answers
    // for a body the key does not hold: stored, that answer would be every bodiless GET's (fat-GET poisoning).
    if (hasBody(ex.request)) return true;
    // A range is served by the origin; a request forbidding storage is honoured by not touching the cache.
    return h.range !== undefined || /(^|,)\s*no-store/i.test(h['cache-control'] ?? '');
  }

  private async fromEntry(ex: Exchange, base: string, key: string, entry: StoredResponse): Promise<void> {
    const req = ex.request.raw;
    const policy = policyOf(entry);
    const { revalidation, response } = policy.evaluateRequest(policyRequest(req));
    if (!revalidation) return this.serve(ex, entry, response!.headers, 'HIT');
    const conditional = pickConditional(revalidation.headers);
    if (!revalidation.synchronous) {
      this.serve(ex, entry, response!.headers, 'STALE');
      if (!this.revalidating.has(key)) {
        this.revalidating.add(key);
        ex.call({ headers: conditional, detached: true })
          .then((up) => this.afterRevalidation(ex, base, key, entry, policy, up, null))
          .catch(() => undefined)
          .finally(() => this.revalidating.delete(key));
      }
      return;
    }
    let up: UpstreamResponse;
    try {
      up = await ex.call({ headers: conditional });
    } catch (err) {
      // stale-if-error (RFC 5861) also covers an upstream that could not be reached at all.
      const { modified } = policy.revalidatedPolicy(policyRequest(req), { status: 502, headers: {} });
      if (!modified) return this.serve(ex, entry, policy.responseHeaders(), 'STALE');
      throw err;
    }
    return this.afterRevalidation(ex, base, key, entry, policy, up, ex);
  }

  /** `client` is null for a background revalidation (the client was already answered). */
  private async afterRevalidation(
    ex: Exchange,
    base: string,
    key: string,
    entry: StoredResponse,
    policy: CachePolicy,
    up: UpstreamResponse,
    client: Exchange | null,
  ): Promise<void> {
    const req = policyRequest(ex.request.raw);
    const { policy: fresh, modified } = policy.revalidatedPolicy(req, { status: up.statusCode, headers: up.headers });
    if (!modified) {
      up.dump();
      const result: CacheResult = up.statusCode === 304 ? 'HIT' : 'STALE';
      if (up.statusCode === 304) {
        await this.save(key, { ...entry, policy: fresh.toObject() }, fresh);
        const names = varyNames(entry.headers.vary);
        if (key !== base && names !== '*') {
          await this.write(base, encode({ kind: 'vary', names }), Math.max(VARY_RECORD_TTL_MS, fresh.timeToLive()));
        }
      }
      if (client) this.serve(client, entry, fresh.responseHeaders(), result);
      return;
    }
    if (client) return this.fetch(client, base, Promise.resolve(up));
    await this.storeDetached(ex, base, up);
  }

  /** `lookedUp` is false when the store lookup was skipped (UncacheableMemory): no lock, and no new memory. */
  private async fetch(ex: Exchange, base: string, response: Promise<UpstreamResponse>, lookedUp = true): Promise<void> {
    let settle!: (stored: boolean) => void;
    const lock = lookedUp && !this.inflight.has(base);
    if (lock) this.inflight.set(base, new Promise<boolean>((r) => (settle = r)));
    const done = (stored: boolean) => {
      if (lock) {
        this.inflight.delete(base);
        settle(stored);
      }
    };
    let up: UpstreamResponse;
    try {
      up = await response;
    } catch (err) {
      done(false);
      throw err;
    }
    const plan = this.storagePlan(ex, base, up);
    this.remember(ex, base, plan !== null, lookedUp);
    if (!plan) {
      done(false);
      return this.relay(ex, up, 'MISS');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    ex.relay(up, X_CACHE.MISS, {
      data: (c) => {
        size += c.length;
        if (size <= this.opts.maxEntryBytes) chunks.push(c);
      },
      end: (complete) => {
        if (!complete || size > this.opts.maxEntryBytes) return done(false);
        this.persist(plan, Buffer.concat(chunks, size)).then(done, () => done(false));
      },
    });
    this.events.onResult?.(ex.route.id, 'MISS');
  }

  /** Only GET answers teach anything: a HEAD's is never stored whatever it says. */
  private remember(ex: Exchange, base: string, storable: boolean, lookedUp: boolean): void {
    if (!this.uncacheable || ex.request.raw.method !== 'GET') return;
    if (storable) this.uncacheable.cacheable(ex.route.id, base, Date.now());
    // Not renewed by answers to skipped lookups: once the memory expires, one lookup per key checks the store again.
    else if (lookedUp) this.uncacheable.uncacheable(ex.route.id, base, Date.now());
  }

  private async storeDetached(ex: Exchange, base: string, up: UpstreamResponse): Promise<void> {
    const plan = this.storagePlan(ex, base, up);
    if (!plan) return up.dump();
    const body = await up.collect(this.opts.maxEntryBytes);
    if (body) await this.persist(plan, body);
  }

  private storagePlan(ex: Exchange, base: string, up: UpstreamResponse) {
    const req = ex.request.raw;
    if (req.method !== 'GET' || !CACHEABLE_STATUS.has(up.statusCode)) return null;
    // Most legacy answers state no lifetime at all (no explicit freshness, POLICY_OPTIONS): known from the raw field
    // names, without parsing the head into an object or building a policy.
    if (!ex.route.cache?.ttlS && !up.hasHeader('cache-control') && !up.hasHeader('expires')) return null;
    if (up.headers['set-cookie'] || noncedHtml(ex, up.headers['content-type'])) return null;
    const declared = Number(up.headers['content-length']);
    if (declared > this.opts.maxEntryBytes) return null;
    const names = varyNames(up.headers.vary);
    if (names === '*') return null;
    const headers = withRouteTtl(up.headers, ex.route.cache?.ttlS);
    const policy = new CachePolicy(policyRequest(req), { status: up.statusCode, headers }, POLICY_OPTIONS);
    if (!policy.storable() || policy.timeToLive() <= 0) return null;
    const key = names.length ? variantKey(base, names, req.headers) : base;
    return { base, key, names, policy, status: up.statusCode, headers: up.headers as OutgoingHttpHeaders };
  }

  private async persist(plan: NonNullable<ReturnType<ResponseCache['storagePlan']>>, body: Buffer): Promise<boolean> {
    const entry: StoredResponse = {
      kind: 'response',
      policy: plan.policy.toObject(),
      status: plan.status,
      headers: plan.headers,
      body,
    };
    if (plan.names.length) {
      const ok = await this.write(
        plan.base,
        encode({ kind: 'vary', names: plan.names }),
        Math.max(VARY_RECORD_TTL_MS, plan.policy.timeToLive()),
      );
      if (!ok) return false;
    }
    return this.save(plan.key, entry, plan.policy);
  }

  private save(key: string, entry: StoredResponse, policy: CachePolicy): Promise<boolean> {
    return this.write(key, encode(entry), policy.timeToLive());
  }

  private async write(key: string, value: Buffer, ttlMs: number): Promise<boolean> {
    try {
      await this.store.set(key, value, Math.max(1_000, ttlMs));
      return true;
    } catch (err) {
      this.events.onStoreError?.('set', err);
      return false;
    }
  }

  private async read(key: string): Promise<StoredValue | null> {
    try {
      const buf = await this.store.get(key);
      return buf ? this.decodings.decode(key, buf) : null;
    } catch (err) {
      this.events.onStoreError?.('get', err);
      return null;
    }
  }

  private async lookup(
    base: string,
    headers: IncomingHttpHeaders,
  ): Promise<{ key: string; value: StoredResponse } | null> {
    const first = await this.read(base);
    if (!first) return null;
    if (first.kind === 'response') return { key: base, value: first };
    const key = variantKey(base, first.names, headers);
    const variant = await this.read(key);
    return variant?.kind === 'response' ? { key, value: variant } : null;
  }

  private waitFor(pending: Promise<boolean>): Promise<boolean> {
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), this.opts.lockTimeoutMs);
      pending.then(
        (v) => {
          clearTimeout(t);
          resolve(v);
        },
        () => {
          clearTimeout(t);
          resolve(false);
        },
      );
    });
  }

  private serve(ex: Exchange, entry: StoredResponse, policyHeaders: CachePolicy.Headers, result: CacheResult): void {
    // The policy may hold a route ttl as s-maxage; clients see the upstream's own Cache-Control (none if it sent
    // none). Most entries have no route ttl: their policy's head is served as it is, without a copy.
    const cacheControl = entry.headers['cache-control'];
    const headers =
      policyHeaders['cache-control'] === cacheControl ? policyHeaders : withCacheControl(policyHeaders, cacheControl);
    this.events.onResult?.(ex.route.id, result);
    if (etagMatches(ex.request.raw.headers['if-none-match'], headers.etag))
      return ex.respond(304, headers, Buffer.alloc(0), X_CACHE[result]);
    ex.respond(entry.status, headers, entry.body, X_CACHE[result]);
  }

  private relay(ex: Exchange, up: UpstreamResponse, result: CacheResult): void {
    this.events.onResult?.(ex.route.id, result);
    ex.relay(up, X_CACHE[result]);
  }
}

/** `headers` with the upstream's own Cache-Control (or none), built without `delete` (a slow dictionary object). */
function withCacheControl(headers: CachePolicy.Headers, cacheControl: unknown): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) if (name !== 'cache-control') out[name] = headers[name];
  if (cacheControl !== undefined) out['cache-control'] = cacheControl as string;
  return out;
}

function pickConditional(headers: CachePolicy.Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['if-none-match', 'if-modified-since']) {
    const v = headers[name];
    if (typeof v === 'string') out[name] = v;
  }
  return out;
}
