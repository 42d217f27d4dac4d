import { z } from 'zod';

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

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 };

function parseSize(v: string): number {
  const m = /^(\d+)\s*([a-z]*)$/i.exec(v)!;
  return Number(m[1]) * SIZE_UNITS[(m[2] || 'b').toLowerCase()];
}

const target = z.union([
  z.literal('legacy'),
  z.string().regex(/^module:[a-z][a-z0-9-]*$/, 'a module target looks like module:chat'),
  z.url({ protocol: /^https?$/, error: 'an upstream target must be an http(s) URL' }),
]);

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
      .union([z.number().int().min(1), z.string().trim().regex(/^\d+\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/i, 'must look like 1048576, 512KiB or 50MB')])
      .transform((v) => (typeof v === 'number' ? v : parseSize(v)))
      .optional(),
    /** `100/60s` style, or `off`; default RATE_LIMIT. */
    rate_limit: z
      .string()
      .regex(/^(off|\d+\/\d+(ms|s|m|h))$/, 'must look like 100/60s, or be off')
      .optional(),
  })
  .strict();

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
    });
  });

export type RouteSpec = z.output<typeof routeSchema>;
export type RoutesFile = z.output<typeof routesFileSchema>;
