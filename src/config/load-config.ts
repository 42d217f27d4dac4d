import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, describeIssues, yamlProblem } from './config-error';
import { envSchema, type RawEnv } from './env.schema';
import type { DataKey } from './data-keys';
import type { RedisTarget } from './redis-target';
import { otlpMetricsFrom, type OtlpMetricsConfig } from './otlp-metrics';
import { routesFileSchema, type RouteSpec } from './routes.schema';

export interface LlmConfig {
  provider: RawEnv['LLM_PROVIDER'];
  openai: { baseUrl?: string; apiKey?: string; fallbackKey?: string };
  gemini: { baseUrl?: string; apiKey?: string; fallbackKey?: string };
  /** Undefined: the provider's default for that tier. */
  modelPro?: string;
  modelFlash?: string;
  proThresholdChars: number;
  firstTokenTimeoutMs: number;
  idleTimeoutMs: number;
  historyMessages: number;
  localTokenDelayMs: number;
  /** 0 when the AI response cache is off (LLM_CACHE_TTL_S=0 or CACHE_ENABLED=false). */
  cacheTtlS: number;
  sessionTtlS: number;
  keepAliveMs: number;
  legacyHistoryPath: string;
}

export interface RateLimitSpec {
  points: number;
  durationMs: number;
}

export interface GatewayConfig {
  port: number;
  host: string;
  /** LISTEN_ADDRESS_FILE: where the gateway writes its URL once it listens (useful with PORT=0). */
  listenAddressFile?: string;
  /** When set, /metrics is served on its own listener on this port and not on `port`. */
  metricsPort?: number;
  /** LEGACY_URL's instances: origin plus path prefix, no trailing slash (src/config/upstream-url.ts). */
  legacyUrls: string[];
  routesFile: string;
  routes: RouteSpec[];
  redis?: RedisTarget;
  upstream: { timeoutMs: number; connectTimeoutMs: number; idleTimeoutMs: number; connections: number };
  routeAllToLegacy: boolean;
  auth: {
    fallback: 'off' | 'legacy_session' | 'legacy_only';
    legacySessionMode: RawEnv['LEGACY_SESSION_MODE'];
    legacySessionCookie: string;
    legacySessionUserKey: string;
    legacyIntrospectPath: string;
    legacySecretKey?: string;
    legacySecretKeyFallbacks: string[];
    legacySessionMaxAgeS: number;
    legacySessionRedis?: RedisTarget;
    legacySessionRedisPrefix: string;
    legacySessionSigner: boolean;
  };
  jwt: {
    secret?: string;
    publicKey?: string;
    privateKey?: string;
    jwksUrl?: string;
    jwksMinRefreshS: number;
    algorithms?: string[];
    issuer?: string;
    audience?: string;
    accessTtlS: number;
    refreshTtlS: number;
  };
  cacheEnabled: boolean;
  cache: { maxEntryBytes: number; lockTimeoutMs: number; uncacheableTtlMs: number };
  rateLimit: RateLimitSpec | 'off';
  rateLimitFailOpen: boolean;
  /** 0: exact (a Redis round trip per request); else counts go to Redis in batches this often. */
  rateLimitSyncMs: number;
  trustProxy: string[];
  /** CORS for /api/v2: exact origins (credentials allowed), or `'*'` (any origin, never with credentials). */
  cors: { origins: string[]; anyOrigin: boolean };
  cspMode: RawEnv['CSP_MODE'];
  llmProvider: RawEnv['LLM_PROVIDER'];
  llm: LlmConfig;
  adminToken?: string;
  /** How often the rollout judge evaluates (ms). */
  rolloutEvaluationMs: number;
  /** Unset: the gateway makes an ephemeral key at start (dev only; data does not survive a restart). */
  dataKeys?: DataKey[];
  /** Served over TLS (HTTP/2 by ALPN, HTTP/1.1 alongside) when set. */
  tls?: { certFile: string; keyFile: string };
  edge: {
    maxHeaderBytes: number;
    maxHeaderFields: number;
    maxJsonBodyBytes: number;
    headersTimeoutMs: number;
    keepAliveTimeoutMs: number;
    maxConnections: number;
    shedEventLoopLagMs: number;
    shedHeapRatio: number;
  };
  shutdown: { delayMs: number; graceMs: number };
  logLevel: RawEnv['LOG_LEVEL'];
  /** LOG_FORMAT: pino's JSON lines, or pino-pretty's human ones for a terminal. */
  logFormat: RawEnv['LOG_FORMAT'];
  /** ACCESS_LOG: one line per request at info level. */
  accessLog: boolean;
  /** TRACE_UPSTREAM_SPANS: a CLIENT span per upstream attempt besides the request's SERVER span. */
  traceUpstreamSpans: boolean;
  /** OTEL_METRICS_EXPORTER=otlp: the prom-client series pushed over OTLP too; undefined when they are not. */
  otlpMetrics?: OtlpMetricsConfig;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseRateLimit(spec: string): RateLimitSpec | 'off' {
  if (spec === 'off') return 'off';
  const m = /^(\d+)\/(\d+)(ms|s|m|h)$/.exec(spec)!;
  return { points: Number(m[1]), durationMs: Number(m[2]) * UNIT_MS[m[3]] };
}

const csv = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * Reads and validates a routes file; throws ConfigError naming every bad key, each route by its id (also used by
 * the live reload).
 */
export function loadRoutes(file: string): RouteSpec[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`ROUTES_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code})`]);
  }
  let doc: unknown;
  try {
    // Plain messages: the position is shown by yamlProblem, with the offending line.
    doc = parseYaml(text, { prettyErrors: false }) ?? {};
  } catch (err) {
    throw new ConfigError(file, [yamlProblem(err, text)]);
  }
  const parsed = routesFileSchema.safeParse(doc);
  if (!parsed.success) throw new ConfigError(file, describeIssues(parsed.error.issues, doc));
  return parsed.data.routes;
}

/**
 * An origin is serialised as scheme://host[:port] (RFC 6454 6.2); browsers send exactly that in `Origin`, and
 * CORS compares it byte for byte (Fetch, CORS check), so anything else in the list could never match.
 */
function corsProblems(list: string[]): string[] {
  if (list.includes('*')) {
    return list.length === 1
      ? []
      : ["CORS_ORIGINS: '*' stands alone (any origin, without credentials); do not mix it with origins"];
  }
  const out: string[] = [];
  for (const o of list) {
    let origin: string | undefined;
    try {
      const u = new URL(o);
      if (u.protocol === 'http:' || u.protocol === 'https:') origin = u.origin;
    } catch {
      origin = undefined;
    }
    if (origin !== o)
      out.push(
        `CORS_ORIGINS: "${o}" is not an origin; write scheme://host[:port], lowercase, no path or trailing slash`,
      );
  }
  return out;
}

function corsFrom(list: string[]): GatewayConfig['cors'] {
  return list.includes('*') ? { origins: [], anyOrigin: true } : { origins: list, anyOrigin: false };
}

/** Rules that involve several variables; each message names the variable to fix. */
function crossChecks(e: RawEnv): string[] {
  const out: string[] = [];
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT === e.PORT) out.push('METRICS_PORT: must differ from PORT');
  if (e.LEGACY_SESSION_MODE === 'flask_cookie' && !e.LEGACY_SECRET_KEY) {
    out.push("LEGACY_SECRET_KEY: required when LEGACY_SESSION_MODE=flask_cookie (the legacy app's SECRET_KEY)");
  }
  if (e.LEGACY_SESSION_MODE === 'flask_redis' && !e.LEGACY_SESSION_REDIS_URL && !e.REDIS_URL) {
    out.push('LEGACY_SESSION_REDIS_URL: required when LEGACY_SESSION_MODE=flask_redis (or set REDIS_URL)');
  }
  if (e.LEGACY_SESSION_MODE === 'flask_redis' && e.LEGACY_SESSION_SIGNER && !e.LEGACY_SECRET_KEY) {
    out.push('LEGACY_SECRET_KEY: required when LEGACY_SESSION_SIGNER=true');
  }
  const asymmetric = e.JWT_ALGORITHMS?.filter((a) => !a.startsWith('HS')) ?? [];
  const symmetric = e.JWT_ALGORITHMS?.filter((a) => a.startsWith('HS')) ?? [];
  // One key type per deployment: a list mixing HS and RS/ES is how algorithm-confusion attacks begin.
  if (asymmetric.length && symmetric.length) out.push('JWT_ALGORITHMS: mixes HMAC (HS*) and public-key algorithms');
  if (symmetric.length && !e.JWT_SECRET) out.push('JWT_SECRET: required by the HS* algorithms in JWT_ALGORITHMS');
  if (asymmetric.length && !e.JWT_PUBLIC_KEY && !e.JWT_JWKS_URL)
    out.push('JWT_PUBLIC_KEY: required (or JWT_JWKS_URL) by JWT_ALGORITHMS');
  if (e.JWT_SECRET && (e.JWT_PUBLIC_KEY || e.JWT_JWKS_URL))
    out.push('JWT_SECRET: set either a secret or public keys, not both');
  if (e.JWT_PRIVATE_KEY && !e.JWT_PUBLIC_KEY && !e.JWT_JWKS_URL)
    out.push('JWT_PUBLIC_KEY: required with JWT_PRIVATE_KEY');
  if (e.LLM_PROVIDER === 'openai' && !e.OPENAI_API_KEY) out.push('OPENAI_API_KEY: required when LLM_PROVIDER=openai');
  if (e.LLM_PROVIDER === 'gemini' && !e.GOOGLE_API_KEY) out.push('GOOGLE_API_KEY: required when LLM_PROVIDER=gemini');
  if (e.OPENAI_API_KEY_FALLBACK && !e.OPENAI_API_KEY) out.push('OPENAI_API_KEY: required with OPENAI_API_KEY_FALLBACK');
  if (e.GOOGLE_API_KEY_FALLBACK && !e.GOOGLE_API_KEY) out.push('GOOGLE_API_KEY: required with GOOGLE_API_KEY_FALLBACK');
  return out;
}

/** TLS files come in pairs and must be readable at start, not at the first handshake. */
function tlsProblems(env: NodeJS.ProcessEnv, cwd: string): string[] {
  const problems: string[] = [];
  if (env.TLS_CERT_FILE && !env.TLS_KEY_FILE) problems.push('TLS_KEY_FILE: required when TLS_CERT_FILE is set');
  if (env.TLS_KEY_FILE && !env.TLS_CERT_FILE) problems.push('TLS_CERT_FILE: required when TLS_KEY_FILE is set');
  for (const key of ['TLS_CERT_FILE', 'TLS_KEY_FILE'] as const) {
    const file = env[key];
    if (!file) continue;
    try {
      readFileSync(resolve(cwd, file));
    } catch (err) {
      problems.push(`${key}: cannot read ${file} (${(err as NodeJS.ErrnoException).code})`);
    }
  }
  return problems;
}

function authConfig(e: RawEnv): GatewayConfig['auth'] {
  return {
    fallback: e.FALLBACK_AUTH as GatewayConfig['auth']['fallback'],
    legacySessionMode: e.LEGACY_SESSION_MODE,
    legacySessionCookie: e.LEGACY_SESSION_COOKIE,
    legacySessionUserKey: e.LEGACY_SESSION_USER_KEY,
    legacyIntrospectPath: e.LEGACY_INTROSPECT_PATH,
    legacySecretKey: e.LEGACY_SECRET_KEY,
    legacySecretKeyFallbacks: csv(e.LEGACY_SECRET_KEY_FALLBACKS),
    legacySessionMaxAgeS: e.LEGACY_SESSION_MAX_AGE_S,
    legacySessionRedis: e.LEGACY_SESSION_REDIS_URL ?? e.REDIS_URL,
    legacySessionRedisPrefix: e.LEGACY_SESSION_REDIS_PREFIX,
    legacySessionSigner: e.LEGACY_SESSION_SIGNER,
  };
}

function jwtConfig(e: RawEnv): GatewayConfig['jwt'] {
  return {
    secret: e.JWT_SECRET,
    publicKey: e.JWT_PUBLIC_KEY,
    privateKey: e.JWT_PRIVATE_KEY,
    jwksUrl: e.JWT_JWKS_URL,
    jwksMinRefreshS: e.JWT_JWKS_MIN_REFRESH_S,
    algorithms: e.JWT_ALGORITHMS,
    issuer: e.JWT_ISSUER,
    audience: e.JWT_AUDIENCE,
    accessTtlS: e.ACCESS_TOKEN_TTL_S,
    refreshTtlS: e.REFRESH_TOKEN_TTL_S,
  };
}

function llmConfig(e: RawEnv): LlmConfig {
  return {
    provider: e.LLM_PROVIDER,
    openai: { baseUrl: e.OPENAI_BASE_URL, apiKey: e.OPENAI_API_KEY, fallbackKey: e.OPENAI_API_KEY_FALLBACK },
    gemini: { baseUrl: e.GOOGLE_BASE_URL, apiKey: e.GOOGLE_API_KEY, fallbackKey: e.GOOGLE_API_KEY_FALLBACK },
    modelPro: e.LLM_MODEL_PRO,
    modelFlash: e.LLM_MODEL_FLASH,
    proThresholdChars: e.LLM_PRO_THRESHOLD_CHARS,
    firstTokenTimeoutMs: e.LLM_FIRST_TOKEN_TIMEOUT_MS,
    idleTimeoutMs: e.LLM_IDLE_TIMEOUT_MS,
    historyMessages: e.LLM_HISTORY_MESSAGES,
    localTokenDelayMs: e.LLM_LOCAL_TOKEN_DELAY_MS,
    cacheTtlS: e.CACHE_ENABLED ? e.LLM_CACHE_TTL_S : 0,
    sessionTtlS: e.CHAT_SESSION_TTL_S,
    keepAliveMs: e.SSE_KEEPALIVE_MS,
    legacyHistoryPath: e.LEGACY_CHAT_HISTORY_PATH,
  };
}

function edgeConfig(e: RawEnv): GatewayConfig['edge'] {
  return {
    maxHeaderBytes: e.MAX_REQUEST_HEADER_BYTES,
    maxHeaderFields: e.MAX_REQUEST_HEADER_FIELDS,
    maxJsonBodyBytes: e.MAX_JSON_BODY_BYTES,
    headersTimeoutMs: e.REQUEST_HEADERS_TIMEOUT_MS,
    keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: e.MAX_CONNECTIONS,
    shedEventLoopLagMs: e.SHED_EVENT_LOOP_LAG_MS,
    shedHeapRatio: e.SHED_HEAP_RATIO,
  };
}

/** The config from a valid environment; reads the routes file (and throws ConfigError when it is bad). */
function configFrom(e: RawEnv, cwd: string, otlpMetrics: OtlpMetricsConfig | undefined): GatewayConfig {
  const routesFile = resolve(cwd, e.ROUTES_FILE);
  return {
    port: e.PORT,
    host: e.HOST,
    listenAddressFile: e.LISTEN_ADDRESS_FILE && resolve(cwd, e.LISTEN_ADDRESS_FILE),
    metricsPort: e.METRICS_PORT,
    legacyUrls: e.LEGACY_URL,
    routesFile,
    routes: loadRoutes(routesFile),
    redis: e.REDIS_URL,
    upstream: {
      timeoutMs: e.UPSTREAM_TIMEOUT_MS,
      connectTimeoutMs: e.UPSTREAM_CONNECT_TIMEOUT_MS,
      idleTimeoutMs: e.UPSTREAM_IDLE_TIMEOUT_MS,
      connections: e.UPSTREAM_CONNECTIONS,
    },
    routeAllToLegacy: e.ROUTE_ALL_TO_LEGACY,
    auth: authConfig(e),
    jwt: jwtConfig(e),
    cacheEnabled: e.CACHE_ENABLED,
    cache: {
      maxEntryBytes: e.CACHE_MAX_ENTRY_BYTES,
      lockTimeoutMs: e.CACHE_LOCK_TIMEOUT_MS,
      uncacheableTtlMs: e.CACHE_UNCACHEABLE_TTL_MS,
    },
    rateLimit: parseRateLimit(e.RATE_LIMIT),
    rateLimitFailOpen: e.RATE_LIMIT_FAIL_OPEN,
    rateLimitSyncMs: e.RATE_LIMIT_SYNC_MS,
    trustProxy: csv(e.TRUST_PROXY),
    cors: corsFrom(csv(e.CORS_ORIGINS)),
    cspMode: e.CSP_MODE,
    llmProvider: e.LLM_PROVIDER,
    llm: llmConfig(e),
    adminToken: e.ADMIN_TOKEN,
    rolloutEvaluationMs: e.ROLLOUT_EVALUATION_INTERVAL_MS,
    dataKeys: e.DATA_ENCRYPTION_KEY,
    tls:
      e.TLS_CERT_FILE && e.TLS_KEY_FILE
        ? { certFile: resolve(cwd, e.TLS_CERT_FILE), keyFile: resolve(cwd, e.TLS_KEY_FILE) }
        : undefined,
    edge: edgeConfig(e),
    shutdown: { delayMs: e.SHUTDOWN_DELAY_MS, graceMs: e.SHUTDOWN_GRACE_MS },
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    accessLog: e.ACCESS_LOG,
    traceUpstreamSpans: e.TRACE_UPSTREAM_SPANS,
    otlpMetrics,
  };
}

/** The one place that reads process.env. Throws ConfigError naming every bad key. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): GatewayConfig {
  const parsed = envSchema.safeParse(env);
  const problems = parsed.success ? [] : describeIssues(parsed.error.issues);
  problems.push(...tlsProblems(env, cwd));
  if (parsed.success) problems.push(...crossChecks(parsed.data), ...corsProblems(csv(parsed.data.CORS_ORIGINS)));
  const otlp = parsed.success ? otlpMetricsFrom(parsed.data) : { problems: [] };
  problems.push(...otlp.problems);
  if (problems.length || !parsed.success) throw new ConfigError('environment', problems);
  return configFrom(parsed.data, cwd, otlp.config);
}

/** What an SRE needs to see at start-up: every flag in force, secrets reduced to set/unset. */
export function effectiveFlags(c: GatewayConfig): Record<string, unknown> {
  return {
    port: c.port,
    legacy: c.legacyUrls,
    routesFile: c.routesFile,
    routes: c.routes.length,
    store: c.redis ? `redis (${c.redis.mode})` : 'memory',
    routeAllToLegacy: c.routeAllToLegacy,
    fallbackAuth: c.auth.fallback,
    jwtKeys: c.jwt.secret ? 'secret' : c.jwt.jwksUrl ? 'jwks' : c.jwt.publicKey ? 'public key' : 'ephemeral',
    legacySessionMode: c.auth.legacySessionMode,
    cacheEnabled: c.cacheEnabled,
    cacheUncacheableTtlMs: c.cache.uncacheableTtlMs,
    rateLimit: c.rateLimit === 'off' ? 'off' : `${c.rateLimit.points}/${c.rateLimit.durationMs}ms`,
    rateLimitFailOpen: c.rateLimitFailOpen,
    rateLimitSync: !c.redis ? 'memory' : c.rateLimitSyncMs === 0 ? 'exact' : `${c.rateLimitSyncMs}ms`,
    trustProxy: c.trustProxy,
    cspMode: c.cspMode,
    corsOrigins: c.cors.anyOrigin ? '*' : c.cors.origins.length ? c.cors.origins : 'off',
    llmProvider: c.llmProvider,
    // Which keys are set, never their values.
    llmKeys: {
      openai: c.llm.openai.apiKey ? (c.llm.openai.fallbackKey ? 'primary+fallback' : 'primary') : 'unset',
      gemini: c.llm.gemini.apiKey ? (c.llm.gemini.fallbackKey ? 'primary+fallback' : 'primary') : 'unset',
    },
    llmCache: c.llm.cacheTtlS > 0 ? `${c.llm.cacheTtlS}s` : 'off',
    adminApi: c.adminToken ? 'on' : 'off',
    dataEncryptionKeys: c.dataKeys ? c.dataKeys.map((k) => k.id) : 'ephemeral',
    tls: Boolean(c.tls),
    upstreamTimeoutMs: c.upstream.timeoutMs,
    accessLog: c.accessLog,
    traceUpstreamSpans: c.traceUpstreamSpans,
    // Origin and path only: a URL may carry credentials.
    otlpMetrics: c.otlpMetrics
      ? `${new URL(c.otlpMetrics.url).origin}${new URL(c.otlpMetrics.url).pathname} (${c.otlpMetrics.protocol}, every ${c.otlpMetrics.intervalMs}ms)`
      : 'off',
    // Validated today so a typo fails fast, but no code reads them yet: said out loud so nobody relies on them.
    notYetInForce: NOT_YET_IN_FORCE,
  };
}

/** Flags of the contract whose feature has not landed; remove a name when its feature does. */
export const NOT_YET_IN_FORCE: string[] = [];
