import type { RouteSpec } from '../config';
import type { CircuitBreaker } from './breaker';

export const DEFAULT_FALLBACK_STATUSES = [500, 501, 502, 503, 504];
export const DEFAULT_BREAKER = { failures: 5, cooldownMs: 10_000 };

export interface ShadowSettings {
  to: 'legacy' | 'new';
  sample: number;
  maxBodyBytes: number;
  compareHeaders: string[];
  ignore: string[][];
  allowUnsafe: boolean;
}

/**
 * The run-time state of one route that can change side, read on every request of that route. Fields are mutated
 * in place when a flag changes (admin API, pub/sub, routes.yaml reload): the hot path holds this object from boot
 * and reads plain properties, never awaits, never asks Redis.
 */
export interface RouteLive {
  readonly id: string;
  /** Share of users on the new side, 0..100 (100 when the route has no weights). */
  newPercent: number;
  rollback: boolean;
  /** Statuses of the new side that make a bodiless idempotent request replay to legacy; undefined: no fallback. */
  fallback?: Set<number>;
  /** Present while fallback is configured: the new side's breaker (this instance's view only). */
  breaker?: CircuitBreaker;
  shadow?: ShadowSettings;
  /** Requests served since start, by the side that answered. */
  readonly served: { legacy: number; new: number; fallback: number };
}

/** Global flags, same rule: one object, mutated in place. */
export interface LiveFlags {
  routeAllToLegacy: boolean;
  cacheEnabled: boolean;
}

/** The run-time fields of a route: what a routes.yaml reload may change without a restart. */
export const RUNTIME_FIELDS = ['weights', 'rollback', 'fallback', 'shadow', 'rollout'] as const;

export function structuralPart(spec: RouteSpec): string {
  const copy: Record<string, unknown> = { ...spec };
  for (const f of RUNTIME_FIELDS) delete copy[f];
  return JSON.stringify(copy, Object.keys(copy).sort());
}

export function fallbackStatuses(spec: RouteSpec['fallback']): Set<number> | undefined {
  if (!spec) return undefined;
  return new Set(spec === true ? DEFAULT_FALLBACK_STATUSES : (spec.statuses ?? DEFAULT_FALLBACK_STATUSES));
}

export function breakerOptions(spec: RouteSpec['fallback']) {
  const b = typeof spec === 'object' ? spec.breaker : undefined;
  return {
    failures: b?.failures ?? DEFAULT_BREAKER.failures,
    cooldownMs: b?.cooldown_s !== undefined ? b.cooldown_s * 1000 : DEFAULT_BREAKER.cooldownMs,
  };
}

export function shadowSettings(spec: RouteSpec['shadow']): ShadowSettings | undefined {
  if (!spec) return undefined;
  return {
    to: spec.to,
    sample: spec.sample ?? 1,
    maxBodyBytes: spec.max_body_bytes ?? 65_536,
    compareHeaders: (spec.compare_headers ?? ['content-type']).map((h) => h.toLowerCase()),
    ignore: (spec.ignore ?? []).map((p) => p.split('.').slice(1)),
    allowUnsafe: spec.allow_unsafe ?? false,
  };
}
