import { z } from 'zod';
import { upstreamUrlSchema } from './upstream-url';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * Path patterns use the router's own syntax so they compile straight into it:
 * `/api/v1/users` (exact), `/api/v1/users/:id` (one segment), `/api/v1/reports/*` (the prefix and all below it).
 */
const pathPattern = z
  .string()
  .startsWith('/', 'must start with /')
  .regex(/^[A-Za-z0-9\-._~!$&'()+,;=:@/%]*\*?$/, 'may hold only URL path characters, with * allowed at the end')
  .refine((p) => !p.includes('*') || p.endsWith('/*'), 'a wildcard must be a last segment: /prefix/*');

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  kib: 1024,
  mb: 1e6,
  mib: 1024 ** 2,
  gb: 1e9,
  gib: 1024 ** 3,
};

function parseSize(v: string): number {
  const m = /^(\d+)\s*([a-z]*)$/i.exec(v)!;
  return Number(m[1]) * SIZE_UNITS[(m[2] || 'b').toLowerCase()];
}

const moduleTarget = z.string().regex(/^module:[a-z][a-z0-9-]*$/, 'a module target looks like module:chat');

/**
 * `legacy`, `module:<name>`, or an http(s) upstream URL whose path, if any, is a prefix before every request path
 * (src/config/upstream-url.ts). Judged by its form, so the message is about what was meant (a union reports the
 * first branch's complaint: "a module target looks like..." for a URL with a query).
 */
const target = z.string().transform((v, ctx) => {
  const parsed = (
    v === 'legacy' ? z.literal('legacy') : v.startsWith('module:') ? moduleTarget : upstreamUrlSchema
  ).safeParse(v);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
  return z.NEVER;
});

/**
 * Migration controls (README "Migration controls"); run-time fields: a routes.yaml reload applies them live.
 * Only for routes whose target is the new side (a module or an http upstream).
 */
const migrationFields = {
  /** Percentage rollout, sticky per user: `{ legacy: 90, new: 10 }`, integers summing to 100. */
  weights: z
    .object({ legacy: z.number().int().min(0).max(100), new: z.number().int().min(0).max(100) })
    .strict()
    .refine((w) => w.legacy + w.new === 100, 'legacy + new must be 100')
    .optional(),
  /** `true` sends the whole route to legacy (at legacy_path) until it is removed. */
  rollback: z.boolean().optional(),
  /** Replay failed bodiless idempotent requests to legacy; `true` takes the defaults. */
  fallback: z
    .union([
      z.boolean(),
      z
        .object({
          statuses: z.array(z.number().int().min(400).max(599)).min(1).optional(),
          breaker: z
            .object({
              failures: z.number().int().min(1).max(1000).optional(),
              cooldown_s: z.number().min(0.1).max(3600).optional(),
            })
            .strict()
            .optional(),
        })
        .strict(),
    ])
    .optional(),
  /** Mirror sampled safe requests to the other side and count answers that differ. */
  shadow: z
    .object({
      to: z.enum(['legacy', 'new']),
      sample: z.number().min(0).max(1).optional(),
      max_body_bytes: z
        .number()
        .int()
        .min(0)
        .max(16 * 1024 * 1024)
        .optional(),
      compare_headers: z.array(z.string().min(1)).optional(),
      ignore: z.array(z.string().regex(/^\$(\.[^.]+)*$/, "a path like '$.generated_at' or '$.items.0.id'")).optional(),
      allow_unsafe: z.boolean().optional(),
    })
    .strict()
    .optional(),
  /**
   * The autopilot (docs/migration.md "Rollout autopilot"): new-side weight by steps, each judged on cluster-wide
   * evidence before the next. Step 0 is shadow only and needs `shadow: {to: new}`.
   */
  rollout: z
    .object({
      steps: z
        .array(z.number().int().min(0).max(100))
        .min(1)
        .refine((s) => s.every((w, i) => i === 0 || w > s[i - 1]), 'must rise strictly, like [0, 1, 5, 25, 50, 100]')
        .refine((s) => s[s.length - 1] === 100, 'must end at 100'),
      step_interval_s: z.number().min(1).max(86_400).default(300),
      min_requests: z.number().int().min(1).max(10_000_000).default(200),
      gates: z
        .object({
          max_error_rate: z.number().min(0).max(1).optional(),
          max_latency_ratio: z.number().min(1).max(1000).optional(),
          max_diff_rate: z.number().min(0).max(1).optional(),
        })
        .strict()
        .default({}),
      on_failure: z.enum(['rollback', 'hold']).default('rollback'),
    })
    .strict()
    .optional(),
};

export const routeSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, - and _'),
    path: pathPattern,
    methods: z.array(z.enum(HTTP_METHODS)).min(1).optional(),
    target,
    /** Where legacy serves this route on rollback (ROUTE_ALL_TO_LEGACY) or when the route targets legacy. */
    legacy_path: pathPattern.optional(),
    /** `client` keeps the caller's Host header (what a legacy app behind nginx expects); `upstream` sends the target's. */
    host: z.enum(['client', 'upstream']).optional(),
    timeout_ms: z.number().int().min(1).max(3_600_000).optional(),
    /**
     * `off`, or options: `ttl_s` is the lifetime given to storable responses that state none (never overriding
     * no-store/private/no-cache); `with_credentials: true` lets requests with Cookie or Authorization use the
     * shared cache (only for responses that are the same for everyone).
     */
    cache: z
      .union([
        z.literal('off'),
        z
          .object({
            ttl_s: z.number().int().min(1).max(31_536_000).optional(),
            with_credentials: z.boolean().optional(),
          })
          .strict(),
      ])
      .optional(),
    /**
     * For proxied routes: `required` refuses callers without valid credentials (per FALLBACK_AUTH), `optional`
     * identifies them when it can. Either way the identity reaches the upstream in X-Figway-User-Id and
     * X-Figway-Auth-Method. On a v2 module route it authenticates before the rate limiter, so limits count per
     * user there too (the module still checks for itself).
     */
    auth: z.enum(['required', 'optional']).optional(),
    /**
     * Largest request body forwarded on this route, in bytes or with a unit (`512KiB`, `50MB`, `1GiB`); larger
     * ones get 413 (at once when Content-Length says so, else as the body streams). Default: no limit, the
     * legacy app's own limits apply.
     */
    body_limit: z
      .union([
        z.number().int().min(1),
        z
          .string()
          .trim()
          .regex(/^\d+\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/i, 'must look like 1048576, 512KiB or 50MB'),
      ])
      .transform((v) => (typeof v === 'number' ? v : parseSize(v)))
      .optional(),
    /** `100/60s` style, or `off`; default RATE_LIMIT. */
    rate_limit: z
      .string()
      .regex(/^(off|\d+\/\d+(ms|s|m|h))$/, 'must look like 100/60s, or be off')
      .optional(),
    ...migrationFields,
  })
  .strict();

/** A module route says where legacy serves it (`legacy_path`); without one it has no legacy side to steer to. */
export function hasLegacySide(route: { target: string; legacy_path?: string }): boolean {
  return !route.target.startsWith('module:') || route.legacy_path !== undefined;
}

export const routesFileSchema = z
  .object({
    routes: z.array(routeSchema).default([]),
  })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.routes.forEach((r, i) => {
      if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'id'], message: `duplicate id ${r.id}` });
      seen.add(r.id);
      if (r.legacy_path && r.path.endsWith('/*') !== r.legacy_path.endsWith('/*')) {
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, 'legacy_path'],
          message: 'must be a prefix (/x/*) exactly when path is one',
        });
      }
      const newSide = r.target !== 'legacy';
      for (const key of ['weights', 'rollback', 'fallback', 'shadow', 'rollout'] as const) {
        if (r[key] !== undefined && !newSide) {
          ctx.addIssue({
            code: 'custom',
            path: ['routes', i, key],
            message: 'only for a route whose target is a module or an http upstream',
          });
        }
      }
      // A module has no path of its own on legacy: the route must say where legacy serves it.
      if ((r.weights || r.rollback || r.fallback || r.rollout) && !hasLegacySide(r)) {
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, 'legacy_path'],
          message: 'required with weights, rollback, fallback or rollout on a module route',
        });
      }
      if (r.rollout?.gates.max_diff_rate !== undefined && !r.shadow) {
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, 'rollout', 'gates', 'max_diff_rate'],
          message: 'diffs come from shadow copies: the route needs shadow:',
        });
      }
      if (r.rollout?.steps[0] === 0 && r.shadow?.to !== 'new') {
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, 'rollout', 'steps'],
          message: 'step 0 is judged on shadow copies: the route needs shadow: {to: new}',
        });
      }
    });
  });

export type RouteSpec = z.output<typeof routeSchema>;
export type RoutesFile = z.output<typeof routesFileSchema>;
export type RolloutSpec = NonNullable<RouteSpec['rollout']>;
