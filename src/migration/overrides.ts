import { z } from 'zod';

const weights = z
  .object({ legacy: z.number().int().min(0).max(100), new: z.number().int().min(0).max(100) })
  .strict()
  .refine((w) => w.legacy + w.new === 100, 'legacy + new must be 100');

/** `PUT /admin/flags`: a value sets an override, null removes it (back to env / default). */
export const flagsPatchSchema = z
  .object({
    route_all_to_legacy: z.boolean().nullable().optional(),
    cache_enabled: z.boolean().nullable().optional(),
  })
  .strict();

/** `PUT /admin/routes/:id`: same rule; what is not given is left as it is. */
export const routePatchSchema = z
  .object({
    weights: weights.nullable().optional(),
    rollback: z.boolean().nullable().optional(),
  })
  .strict();

export type FlagsPatch = z.output<typeof flagsPatchSchema>;
export type RoutePatch = z.output<typeof routePatchSchema>;

/** Operator overrides, as persisted under `figway:flags` and published to every instance. */
export interface Overrides {
  /** Milliseconds since the epoch of the change, so an older message never undoes a newer state. */
  version: number;
  flags: { route_all_to_legacy?: boolean; cache_enabled?: boolean };
  routes: Record<string, { weights?: { legacy: number; new: number }; rollback?: boolean }>;
}

export const overridesSchema = z.object({
  version: z.number(),
  flags: z.object({ route_all_to_legacy: z.boolean().optional(), cache_enabled: z.boolean().optional() }),
  routes: z.record(z.string(), z.object({ weights: weights.optional(), rollback: z.boolean().optional() })),
});

export function emptyOverrides(): Overrides {
  return { version: 0, flags: {}, routes: {} };
}

/** Applies a patch (null deletes) to a copy. */
export function patched<T extends Record<string, unknown>>(base: T, patch: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out as T;
}
