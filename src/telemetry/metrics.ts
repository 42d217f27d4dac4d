import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { GatewayConfig } from '../config';
import type { DependencyStates } from '../health/dependency-probe';
import type { UpstreamSet } from '../proxy/upstream-set';
import { VERSION } from '../version';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Labels stay bounded: route ids (never raw paths), known methods, status codes. */
export function methodLabel(method: string | undefined): string {
  return method && METHODS.has(method) ? method : 'OTHER';
}

/**
 * The metric names of DESIGN.md; dashboards and alerts depend on them. Created before Nest (outside DI) so the
 * proxy hot path can record without a container lookup.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'gateway_requests_total',
    help: 'Requests answered, by route id, target, method and status',
    labelNames: ['route', 'target', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'gateway_request_duration_seconds',
    help: 'Time from request to the end of the response, by route id and target',
    labelNames: ['route', 'target'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  // RFC 9110 has no name for it; Kong calls it upstream latency, nginx $upstream_header_time. It is what the
  // latency alert watches: a stream (SSE, the v2 chat) keeps its response open for minutes by design, which the
  // duration histogram records as minutes while the caller had its first byte at once.
  readonly firstByte = new Histogram({
    name: 'gateway_time_to_first_byte_seconds',
    help: 'Time from request to the response head being written, by route id and target',
    labelNames: ['route', 'target'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly upstreamErrors = new Counter({
    name: 'gateway_upstream_errors_total',
    help: 'Failed upstream exchanges, by upstream origin and kind (connect, timeout, reset, aborted, protocol)',
    labelNames: ['upstream', 'kind'] as const,
    registers: [this.registry],
  });
  readonly cache = new Counter({
    name: 'gateway_cache_total',
    help: 'Response cache outcomes, by route id and result (HIT, MISS, STALE, BYPASS)',
    labelNames: ['route', 'result'] as const,
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'gateway_rate_limited_total',
    help: 'Requests refused by a rate limit, by route id',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  readonly auth = new Counter({
    name: 'gateway_auth_total',
    help: 'Authentication outcomes, by method (jwt, legacy_session) and result',
    labelNames: ['method', 'result'] as const,
    registers: [this.registry],
  });
  readonly shadowDiffs = new Counter({
    name: 'gateway_shadow_diffs_total',
    help: 'Shadowed requests whose answers differed, by route id',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  readonly storeErrors = new Counter({
    name: 'gateway_store_errors_total',
    help: 'Failed store operations (the feature degraded instead of failing the request), by user',
    labelNames: ['user'] as const,
    registers: [this.registry],
  });
  readonly shed = new Counter({
    name: 'gateway_shed_total',
    help: 'Requests answered 503 because the gateway was overloaded, and connections closed at MAX_CONNECTIONS, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly overloaded = new Gauge({
    name: 'gateway_overloaded',
    help: '1 while the gateway sheds requests (event-loop lag or heap past its limit), else 0',
    registers: [this.registry],
  });
  // v2 chat. `model` is a configured model name (LLM_MODEL_PRO/FLASH or a provider default), so it stays bounded.
  readonly chatTokens = new Counter({
    name: 'gateway_chat_tokens_total',
    help: 'Tokens the chat model produced (its usage report, else one per streamed delta), by provider and model',
    labelNames: ['provider', 'model'] as const,
    registers: [this.registry],
  });
  readonly chatFirstToken = new Histogram({
    name: 'gateway_chat_time_to_first_token_seconds',
    help: 'Time from a chat request to its first streamed text, by provider',
    labelNames: ['provider'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30],
    registers: [this.registry],
  });
  readonly chatProviderErrors = new Counter({
    name: 'gateway_chat_provider_errors_total',
    help: 'Failed model calls, by provider and kind (rate_limited, unavailable, timeout, auth, bad_request, broken)',
    labelNames: ['provider', 'kind'] as const,
    registers: [this.registry],
  });
  readonly chatKeyFallbacks = new Counter({
    name: 'gateway_chat_key_fallbacks_total',
    help: 'Chat requests moved to the fallback API key after the primary was answered 429/503, by provider',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });
  readonly chatCache = new Counter({
    name: 'gateway_chat_cache_total',
    help: 'AI response cache outcomes (hit, miss, bypass)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly sseStreamsOpen = new Gauge({
    name: 'gateway_sse_streams_open',
    help: 'Server-sent event streams the gateway is writing itself (v2 chat) right now',
    registers: [this.registry],
  });
  readonly proxiedStreamsOpen = new Gauge({
    name: 'gateway_proxied_streams_open',
    help: 'Event streams (text/event-stream) relayed from upstreams right now; each holds an upstream connection',
    registers: [this.registry],
  });
  readonly cspReports = new Counter({
    name: 'gateway_csp_reports_total',
    help: 'CSP violation reports received at /csp-report, by effective directive (known CSP names, else other)',
    labelNames: ['directive'] as const,
    registers: [this.registry],
  });
  readonly ready = new Gauge({
    name: 'gateway_ready',
    help: 'What /health/ready last answered: 1 ready (or degraded but serving), 0 not ready',
    registers: [this.registry],
  });
  readonly flag = new Gauge({
    name: 'gateway_flag',
    help: 'SRE flags in force, live (env, admin API overrides): 1 on, 0 off (see the effective configuration log line)',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Upstream pool health, read from the pools at scrape time (nothing on the request path): whether each instance
   * is in rotation (not cooling down after connect failures), and its connections by state. `queued` is the
   * saturation signal: requests waiting for a free connection, e.g. when long-lived streams hold all
   * UPSTREAM_CONNECTIONS.
   */
  watchUpstreams(all: () => UpstreamSet[]): void {
    new Gauge({
      name: 'gateway_upstream_up',
      help: 'Upstream instances in rotation: 1, or 0 while skipped after connect failures (passive health)',
      labelNames: ['upstream'] as const,
      registers: [this.registry],
      collect() {
        const now = Date.now();
        for (const set of all())
          for (const u of set.upstreams) this.set({ upstream: u.origin }, u.downUntil > now ? 0 : 1);
      },
    });
    new Gauge({
      name: 'gateway_upstream_connections',
      help: 'Upstream pool connections (connected, busy) and requests waiting for one (queued), by upstream instance',
      labelNames: ['upstream', 'state'] as const,
      registers: [this.registry],
      collect() {
        for (const set of all()) {
          for (const u of set.upstreams) {
            const st = u.pool.stats;
            this.set({ upstream: u.origin, state: 'connected' }, st.connected);
            this.set({ upstream: u.origin, state: 'busy' }, st.running);
            this.set({ upstream: u.origin, state: 'queued' }, st.pending);
          }
        }
      },
    });
  }

  /**
   * Whether each dependency answers, checked at scrape time rather than by whoever calls /health/ready: a gateway
   * nobody probes (or probed before the outage) would otherwise report a dead Redis as up, and a fresh one would
   * have no series at all. The probe is bounded (Redis command timeout, 1 s per legacy connect).
   */
  watchDependencies(probe: () => Promise<DependencyStates>): void {
    new Gauge({
      name: 'gateway_dependency_up',
      help: 'Whether a dependency answers, checked at each scrape (store: Redis PING; legacy: any instance accepts a connection)',
      labelNames: ['dependency'] as const,
      registers: [this.registry],
      async collect() {
        const up = await probe();
        this.set({ dependency: 'store' }, up.store ? 1 : 0);
        this.set({ dependency: 'legacy' }, up.legacy.some(Boolean) ? 1 : 0);
      },
    });
  }

  /**
   * The settings that are not on/off, as labels of one always-1 series (the Prometheus `_info` idiom): which auth
   * fallback and session mode are in force is what an SRE checks first when logins fail.
   */
  readonly configInfo = new Gauge({
    name: 'gateway_config_info',
    help: 'Always 1; the labels are the non-boolean settings in force at start-up',
    labelNames: ['version', 'fallback_auth', 'legacy_session_mode', 'csp_mode', 'llm_provider', 'store'] as const,
    registers: [this.registry],
  });

  recordFlags(c: GatewayConfig): void {
    this.configInfo.set(
      {
        version: VERSION,
        fallback_auth: c.auth.fallback,
        legacy_session_mode: c.auth.legacySessionMode,
        csp_mode: c.cspMode,
        llm_provider: c.llm.provider,
        store: c.redis ? 'redis' : 'memory',
      },
      1,
    );
    const flags: Record<string, boolean> = {
      route_all_to_legacy: c.routeAllToLegacy,
      cache_enabled: c.cacheEnabled,
      rate_limit: c.rateLimit !== 'off',
      rate_limit_fail_open: c.rateLimitFailOpen,
      redis_store: Boolean(c.redis),
      admin_api: Boolean(c.adminToken),
      csp_enforce: c.cspMode === 'enforce',
      csp_report_only: c.cspMode === 'report-only',
      cors: c.cors.anyOrigin || c.cors.origins.length > 0,
    };
    for (const [name, on] of Object.entries(flags)) this.flag.set({ name }, on ? 1 : 0);
  }

  /**
   * Also told of every answered client request (the rollout evidence, src/rollout/evidence-recorder.ts): set once at
   * boot, so the request path pays one call, not a list walk.
   */
  onObserve?: (route: string, target: string, status: number, seconds: number) => void;

  /** `firstByteSeconds` is undefined for a client that left before any head was written (499). */
  observe(
    route: string,
    target: string,
    method: string | undefined,
    status: number,
    seconds: number,
    firstByteSeconds?: number,
  ): void {
    this.requests.inc({ route, target, method: methodLabel(method), status: String(status) });
    this.duration.observe({ route, target }, seconds);
    if (firstByteSeconds !== undefined) this.firstByte.observe({ route, target }, firstByteSeconds);
    this.onObserve?.(route, target, status, seconds);
  }
}

export const METRICS = Symbol('METRICS');
