import type { Flag, RouteInfo, Source } from './types';

export const percent = (share: number, digits = 1) => `${(share * 100).toFixed(digits).replace(/\.0+$/, '')}%`;

export const ms = (v: number | null | undefined) =>
  v === null || v === undefined ? '—' : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;

/** "12:04:31" in the viewer's zone; the full ISO time goes in a title/datetime beside it. */
export const clock = (iso: string) => new Date(iso).toLocaleTimeString([], { hour12: false });

export function ago(iso: string, now: string): string {
  const s = Math.max(0, Math.round((Date.parse(now) - Date.parse(iso)) / 1000));
  return s < 60 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

const SOURCE_WORDS: Record<Source, string> = {
  env: 'environment',
  admin: 'admin override',
  rollout: 'rollout',
  file: 'routes.yaml',
};

export const sourceWords = (s: Source) => SOURCE_WORDS[s] ?? s;

/** A global flag's source as the operator reads it: a true value from the environment is a floor. */
export function flagSource(flag: Flag): string {
  if (flag.source === 'env') return flag.value ? 'env floor (restart to change)' : 'environment default';
  return sourceWords(flag.source);
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
