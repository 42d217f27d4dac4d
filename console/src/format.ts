import type { Flag, Flags, RouteInfo, Source } from './types';

export const percent = (share: number, digits = 1) => `${(share * 100).toFixed(digits).replace(/\.0+$/, '')}%`;

export const ms = (v: number | null | undefined) =>
  v === null || v === undefined ? '—' : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;

/** "12:04:31" in the viewer's zone; the full ISO time goes in a title/datetime beside it. */
export const clock = (iso: string) => new Date(iso).toLocaleTimeString([], { hour12: false });

/** How long ago at most: `seen_at` of an instance is a lower bound (src/console/instances.ts). */
export function within(iso: string, now: string): string {
  const s = Math.max(0, Math.round((Date.parse(now) - Date.parse(iso)) / 1000));
  return s < 60 ? `${s} s` : `${Math.round(s / 60)} min`;
}

const SOURCE_WORDS: Record<Source, string> = {
  env: 'environment',
  admin: 'admin override',
  rollout: 'rollout',
  file: 'routes.yaml',
};

export const sourceWords = (s: Source) => SOURCE_WORDS[s] ?? s;

/**
 * A global flag's source as the operator reads it. The environment is a floor when it forces the safe value
 * (`ROUTE_ALL_TO_LEGACY=true`, `CACHE_ENABLED=false`: the admin API cannot undo those); otherwise it is the default.
 */
export function flagSource(name: keyof Flags, flag: Flag): string {
  if (flag.source !== 'env') return sourceWords(flag.source);
  const floor = name === 'route_all_to_legacy' ? flag.value : !flag.value;
  return floor ? 'env floor (restart to change)' : 'environment default';
}

/** Where a route's weights come from, and what holds it on legacy whatever they say. */
export function weightSource(route: RouteInfo, allToLegacy: Flag): string {
  if (!route.weights) return 'targets legacy';
  if (allToLegacy.value)
    return allToLegacy.source === 'env' ? 'env floor: ROUTE_ALL_TO_LEGACY' : 'floor: route_all_to_legacy (admin)';
  if (route.rollback?.value) return `floor: rollback (${sourceWords(route.rollback.source)})`;
  return sourceWords(route.weights.source);
}

export type Progress = 'legacy' | 'split' | 'new' | 'complete';

/** Where a route stands in the migration: complete once its rollout says legacy may be retired. */
export function progressOf(route: RouteInfo, rolloutComplete: boolean): Progress {
  if (rolloutComplete && route.in_force === 'new') return 'complete';
  if (route.in_force === 'new') return 'new';
  if (route.in_force === 'split') return 'split';
  return 'legacy';
}
