import { z } from 'zod';
import { dataKeysSchema } from './data-keys';
import { redisUrlSchema } from './redis-target';
import { upstreamUrlSchema } from './upstream-url';

const TRUE_WORDS = ['true', '1', 'yes', 'on'];
const BOOL_WORDS = [...TRUE_WORDS, 'false', '0', 'no', 'off'] as const;

/**
 * Any case, spaces trimmed: `ROUTE_ALL_TO_LEGACY=TRUE` typed during an emergency rollback must not put the gateway
 * in a crash loop. Anything else still stops the start, naming the variable.
 */
const bool = (fallback: boolean) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(BOOL_WORDS, { error: 'must be true or false (or 1/0, yes/no, on/off; any case)' }))
    .transform((v) => TRUE_WORDS.includes(v))
    .default(fallback);

const int = (fallback: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(fallback);

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** PEM text; a literal `\n` (how many secret stores hand over multi-line values) stands for a newline. */
const pem = z
  .string()
  .transform((v) => v.replace(/\\n/g, '\n'))
  .refine((v) => /-----BEGIN [A-Z ]*KEY-----/.test(v), 'must be a PEM key (-----BEGIN ... KEY-----)');

/** `600/60s`, `10/1s`, `1000/1m`, or `off`. */
const rateLimit = z
  .string()
  .trim()
  .regex(/^(off|\d+\/\d+(ms|s|m|h))$/, 'must look like 600/60s, or be off');

/**
 * The environment contract of DESIGN.md. Names are part of the product: renaming one is a breaking change.
 * Unknown variables are ignored (the process environment holds much more than ours).
 */
export const envSchema = z.object({
  PORT: int(8080, 0, 65535),
  HOST: z.string().default('0.0.0.0'),
  // With PORT=0 the OS picks the port; this file then tells a supervisor or a test which one (Envoy's
  // --admin-address-path does the same for its admin listener).
  LISTEN_ADDRESS_FILE: z.string().trim().min(1).optional(),
  // Unset: /metrics on PORT. Set: /metrics only on this port, kept off the public listener (and the Ingress).
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  LEGACY_URL: z
    .string()
    .default('http://127.0.0.1:5000')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(upstreamUrlSchema).min(1, 'needs at least one URL')),
  ROUTES_FILE: z.string().default('config/routes.yaml'),
  REDIS_URL: redisUrlSchema.optional(),
  UPSTREAM_TIMEOUT_MS: int(30_000, 1, 3_600_000),
  UPSTREAM_CONNECT_TIMEOUT_MS: int(2_000, 1, 60_000),
  UPSTREAM_IDLE_TIMEOUT_MS: int(300_000, 0, 86_400_000),
  UPSTREAM_CONNECTIONS: int(128, 1, 10_000),
  ROUTE_ALL_TO_LEGACY: bool(false),
  FALLBACK_AUTH: z
    .enum(['off', 'legacy_session', 'flask_session', 'legacy_only'])
    .default('off')
    .transform((v) => (v === 'flask_session' ? 'legacy_session' : v)),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters (256 bits) for HS256').optional(),
  JWT_PUBLIC_KEY: pem.optional(),
  JWT_PRIVATE_KEY: pem.optional(),
  JWT_JWKS_URL: httpUrl.optional(),
  JWT_JWKS_MIN_REFRESH_S: int(30, 0, 3_600),
  JWT_ALGORITHMS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(
      z
        .array(
          z.enum([
            'HS256',
            'HS384',
            'HS512',
            'RS256',
            'RS384',
            'RS512',
            'PS256',
            'PS384',
            'PS512',
            'ES256',
            'ES384',
            'ES512',
          ]),
        )
        .min(1),
    )
    .optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  ACCESS_TOKEN_TTL_S: int(900, 30, 86_400),
  REFRESH_TOKEN_TTL_S: int(604_800, 60, 90 * 86_400),
  LEGACY_SECRET_KEY: z.string().min(1).optional(),
  LEGACY_SECRET_KEY_FALLBACKS: z.string().optional(),
  LEGACY_SESSION_MAX_AGE_S: int(2_678_400, 1, 400 * 86_400),
  LEGACY_SESSION_REDIS_URL: redisUrlSchema.optional(),
  LEGACY_SESSION_REDIS_PREFIX: z.string().default('session:'),
  LEGACY_SESSION_SIGNER: bool(false),
  LEGACY_SESSION_MODE: z.enum(['flask_cookie', 'flask_redis', 'introspect']).default('introspect'),
  LEGACY_SESSION_COOKIE: z.string().min(1).default('session'),
  LEGACY_SESSION_USER_KEY: z.string().min(1).default('user_id'),
  LEGACY_INTROSPECT_PATH: z.string().startsWith('/').default('/api/v1/me'),
  CACHE_ENABLED: bool(true),
  CACHE_MAX_ENTRY_BYTES: int(1_048_576, 1, 512 * 1_048_576),
  CACHE_LOCK_TIMEOUT_MS: int(5_000, 0, 120_000),
  /**
   * How long a key (or a route) that answered uncacheable skips the cache's store lookup on this instance; 0 looks
   * up every GET. Every answer is still judged and a storable one stored at once; what a skip costs is a miss on an
   * entry another instance stored meanwhile (see README, Response cache).
   */
  CACHE_UNCACHEABLE_TTL_MS: int(10_000, 0, 3_600_000),
  RATE_LIMIT: rateLimit.default('600/60s'),
  RATE_LIMIT_FAIL_OPEN: bool(true),
  /**
   * With Redis: how often each instance pushes its rate-limit counts to Redis and learns the others' (Kong's
   * `sync_rate`); requests are decided in memory in between. 0 = exact: one Redis round trip per request. The
   * over-admission this allows across instances is bounded in the README (Rate limits).
   */
  RATE_LIMIT_SYNC_MS: int(100, 0, 60_000),
  TRUST_PROXY: z.string().optional(),
  CORS_ORIGINS: z.string().optional(),
  CSP_MODE: z.enum(['enforce', 'report-only', 'off']).default('enforce'),
  LLM_PROVIDER: z.enum(['local', 'openai', 'gemini']).default('local'),
  /** Any OpenAI-compatible server (vLLM, Ollama, LiteLLM, Azure's v1 endpoint...); unset: api.openai.com. */
  OPENAI_BASE_URL: httpUrl.optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  /** Tried when the primary key is answered 429 or 503 before any token was streamed. */
  OPENAI_API_KEY_FALLBACK: z.string().min(1).optional(),
  /** Unset: Google's public endpoint. Mostly for tests and private gateways. */
  GOOGLE_BASE_URL: httpUrl.optional(),
  GOOGLE_API_KEY: z.string().min(1).optional(),
  GOOGLE_API_KEY_FALLBACK: z.string().min(1).optional(),
  /** Model names for the two tiers; unset: the provider's defaults (see README, v2 chat). */
  LLM_MODEL_PRO: z.string().min(1).max(200).optional(),
  LLM_MODEL_FLASH: z.string().min(1).max(200).optional(),
  /** Prompts (history + message) longer than this many characters go to the pro model when the client names none. */
  LLM_PRO_THRESHOLD_CHARS: int(4_000, 1, 10_000_000),
  LLM_FIRST_TOKEN_TIMEOUT_MS: int(20_000, 1, 600_000),
  LLM_IDLE_TIMEOUT_MS: int(30_000, 1, 600_000),
  /** How many earlier messages of the conversation go to the model with the new one. */
  LLM_HISTORY_MESSAGES: int(20, 0, 1_000),
  /** Pause between the local provider's tokens, so streaming is visible with nothing configured. */
  LLM_LOCAL_TOKEN_DELAY_MS: int(40, 0, 10_000),
  /** Lifetime of ai_cache:{hash} entries; 0 disables the AI response cache (CACHE_ENABLED=false does too). */
  LLM_CACHE_TTL_S: int(3_600, 0, 30 * 86_400),
  /** Lifetime of user_session:{user_id} (the v2 conversation), refreshed on every use. */
  CHAT_SESSION_TTL_S: int(604_800, 60, 400 * 86_400),
  /** Comment lines written on idle SSE streams so proxies and browsers keep them open. */
  SSE_KEEPALIVE_MS: int(15_000, 100, 600_000),
  /** Where the legacy app serves the signed-in user's chat history (read once, for LEGACY_SESSION_MODE=introspect). */
  LEGACY_CHAT_HISTORY_PATH: z.string().startsWith('/').default('/api/v1/chat/history'),
  DATA_ENCRYPTION_KEY: dataKeysSchema.optional(),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * How often the rollout judge (one instance at a time, by a lease in the store) evaluates running rollouts. The
   * lease lasts three intervals (at least 2 s): a dead judge's successor takes over within that.
   */
  ROLLOUT_EVALUATION_INTERVAL_MS: int(5_000, 100, 300_000),
  /**
   * Edge limits, with the anchors they follow: 16 KiB of request head is Node's default and what the gateway's
   * 431 promises; 100 header fields is Envoy's `max_headers_count` default; 1 MiB is Fastify's body limit for the
   * JSON bodies v2 modules parse; 10 s to send a request head is Envoy's edge recommendation
   * (`request_headers_timeout`); 65 s keep-alive outlives the 60 s idle timeout of common load balancers
   * (AWS ALB), so the balancer, not the gateway, closes idle connections and no request races a close.
   */
  MAX_REQUEST_HEADER_BYTES: int(16_384, 1_024, 1_048_576),
  MAX_REQUEST_HEADER_FIELDS: int(100, 10, 10_000),
  MAX_JSON_BODY_BYTES: int(1_048_576, 1_024, 104_857_600),
  REQUEST_HEADERS_TIMEOUT_MS: int(10_000, 1_000, 600_000),
  KEEP_ALIVE_TIMEOUT_MS: int(65_000, 1_000, 3_600_000),
  /**
   * Overload: open client connections past MAX_CONNECTIONS are closed on accept; requests are shed with 503 +
   * Retry-After while the event loop runs more than SHED_EVENT_LOOP_LAG_MS late or the V8 heap is fuller than
   * SHED_HEAP_RATIO of its limit (0 turns either off).
   */
  MAX_CONNECTIONS: int(20_000, 0, 1_000_000),
  SHED_EVENT_LOOP_LAG_MS: int(1_000, 0, 60_000),
  SHED_HEAP_RATIO: z.coerce.number().min(0).max(1).default(0.9),
  TLS_CERT_FILE: z.string().optional(),
  TLS_KEY_FILE: z.string().optional(),
  SHUTDOWN_DELAY_MS: int(0, 0, 600_000),
  SHUTDOWN_GRACE_MS: int(25_000, 0, 600_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * json: one pino JSON object per line, whoever wrote it (Fastify, Nest, the gateway). pretty: pino-pretty's
   * human lines, for a terminal; pino-pretty is a development dependency, so an install without it
   * (`npm ci --omit=dev`, the image) logs JSON and says so in one warning (src/telemetry/logger.ts).
   */
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  /**
   * One JSON line per request at info level when its response is over (request id, trace id, method, route id,
   * target, path without the query, status, duration, bytes, client address; never headers or query strings).
   * LOG_LEVEL=warn or above hides them as well. Tracing itself takes the standard OTEL_* variables, read by the
   * OpenTelemetry SDK (src/telemetry/tracing.ts), not this schema.
   */
  ACCESS_LOG: bool(true),
  /**
   * With tracing on, a forwarded request is one SERVER span that also records the upstream (origin, its status,
   * failed attempts as events), as Envoy traces a proxied request by default. TRACE_UPSTREAM_SPANS=true adds a
   * CLIENT span per upstream attempt (Envoy's spawn_upstream_span), at about twice the cost per sampled request.
   */
  TRACE_UPSTREAM_SPANS: bool(false),
  /**
   * Metrics pushed over OTLP besides /metrics (src/telemetry/otlp-metrics.ts). The standard OpenTelemetry names;
   * unlike the SDK's default (otlp), unset means no push: /metrics is the gateway's metrics outlet of record.
   * `prometheus` names that outlet (always on) and `none` nothing, so lists written for other services still parse.
   * The exporter itself still reads OTEL_EXPORTER_OTLP_HEADERS / _METRICS_HEADERS and the TLS variables.
   */
  OTEL_METRICS_EXPORTER: z
    .string()
    .default('none')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(['otlp', 'prometheus', 'none'], { error: 'must be otlp, prometheus or none' }))),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().trim().optional(),
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: z.string().trim().optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.string().trim().optional(),
  OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: z.string().trim().optional(),
  /** The specification's defaults: a push every 60 s, each bounded by 30 s (and never longer than the interval). */
  OTEL_METRIC_EXPORT_INTERVAL: int(60_000, 100, 86_400_000),
  OTEL_METRIC_EXPORT_TIMEOUT: int(30_000, 100, 600_000),
  /** The specification: only `true` (any case) disables; any other value is ignored, as the tracing side does. */
  OTEL_SDK_DISABLED: z
    .string()
    .optional()
    .transform((v) => /^\s*true\s*$/i.test(v ?? '')),
});

export type RawEnv = z.output<typeof envSchema>;
