import type { RouteSpec } from '../config';
import { breakerOptions, fallbackStatuses, shadowSettings, type ShadowSettings } from './live-state';
import type { Overrides } from './overrides';

/** Where a value in force came from (shown by the admin API beside each value). */
export type Source = 'env' | 'admin' | 'rollout' | 'file';

/** What the environment says (read once at boot: an SRE's floor, not undone at run time). */
export interface EnvFlags {
  routeAllToLegacy: boolean;
  cacheEnabled: boolean;
}

export interface Sourced<T> {
  value: T;
  source: Source;
}

/** The effective run-time state of one route that can change side. */
export interface RouteState {
  /** Share of users on the new side, 0..100. */
  newPercent: Sourced<number>;
  rollback: Sourced<boolean>;
  fallback?: Set<number>;
  /** Present exactly when `fallback` is. */
  breaker?: { failures: number; cooldownMs: number };
  shadow?: ShadowSettings;
}

export interface MergedState {
  flags: { routeAllToLegacy: Sourced<boolean>; cacheEnabled: Sourced<boolean> };
  routes: Map<string, RouteState>;
}

/**
 * A flag that the environment can force one way: forced, the environment's value holds whatever an operator
 * set; otherwise an admin override beats the environment's default.
 */
function flag(envValue: boolean, forcedValue: boolean, override: boolean | undefined): Sourced<boolean> {
  if (envValue === forcedValue) return { value: forcedValue, source: 'env' };
  if (override !== undefined) return { value: override, source: 'admin' };
  return { value: envValue, source: 'env' };
}

/**
 * Weights: an operator's override, else the rollout's step (src/rollout), else the file's; a route with `rollout:`
 * and no weights stays on legacy until its rollout starts, otherwise a route without weights is all new.
 */
function newPercent(file: RouteSpec, admin: Overrides['routes'][string], rollout: number | undefined) {
  if (admin.weights) return { value: admin.weights.new, source: 'admin' as const };
  // A reload that removed `rollout:` ends its say, whatever state the store still holds.
  if (rollout !== undefined && file.rollout) return { value: rollout, source: 'rollout' as const };
  return { value: file.weights ? file.weights.new : file.rollout ? 0 : 100, source: 'file' as const };
}

function routeState(file: RouteSpec, admin: Overrides['routes'][string], rollout: number | undefined): RouteState {
  const fallback = fallbackStatuses(file.fallback);
  return {
    newPercent: newPercent(file, admin, rollout),
    rollback: {
      value: admin.rollback ?? file.rollback ?? false,
      source: admin.rollback !== undefined ? 'admin' : 'file',
    },
    fallback,
    breaker: fallback ? breakerOptions(file.fallback) : undefined,
    shadow: shadowSettings(file.shadow),
  };
}

/**
 * The state in force, by precedence: env (ROUTE_ALL_TO_LEGACY=true, CACHE_ENABLED=false cannot be undone at run
 * time) > admin overrides (persisted in the store, spread by pub/sub) > a running rollout's weight > routes.yaml.
 * Weights and rollback may be overridden per route; fallback and shadow come from the file only. `file` holds the
 * routes that can change side; `rollouts` the weight of each rollout that is not idle.
 * Pure: no clock, no I/O; the caller copies the result into the objects the request path reads.
 */
export function mergeState(
  env: EnvFlags,
  file: ReadonlyMap<string, RouteSpec>,
  overrides: Overrides,
  rollouts: ReadonlyMap<string, number> = new Map(),
): MergedState {
  const routes = new Map<string, RouteState>();
  for (const [id, spec] of file) routes.set(id, routeState(spec, overrides.routes[id] ?? {}, rollouts.get(id)));
  return {
    flags: {
      routeAllToLegacy: flag(env.routeAllToLegacy, true, overrides.flags.route_all_to_legacy),
      cacheEnabled: flag(env.cacheEnabled, false, overrides.flags.cache_enabled),
    },
    routes,
  };
}
