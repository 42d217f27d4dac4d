import type { RouteSpec } from '../config';
import type { RouteLive } from './live-state';
import type { MergedState, RouteState } from './merge-state';

/** `GET /admin/flags` (and the answer to `PUT /admin/flags`): each global flag with the source of its value. */
export function flagsView(flags: MergedState['flags']) {
  return {
    route_all_to_legacy: { ...flags.routeAllToLegacy },
    cache_enabled: { ...flags.cacheEnabled },
  };
}

/** Which side answers the route's requests now, and why when it is legacy. */
function inForce(live: RouteLive, routeAllToLegacy: boolean): string {
  if (routeAllToLegacy) return 'legacy (route_all_to_legacy)';
  if (live.rollback) return 'legacy (rollback)';
  if (live.newPercent >= 100) return 'new';
  if (live.newPercent <= 0) return 'legacy';
  return 'split';
}

function servedView(s: RouteLive['served']) {
  const total = s.legacy + s.new + s.fallback;
  const share = (n: number) => (total ? Math.round((n / total) * 10_000) / 10_000 : 0);
  return { ...s, total, share: { legacy: share(s.legacy), new: share(s.new), fallback: share(s.fallback) } };
}

/** What the admin API shows of a route that can change side: values in force, their sources, traffic so far. */
export interface SideRouteView {
  live: RouteLive;
  state: RouteState;
  /** The routes file's entry in force (the last good reload), for its `shadow:` as written. */
  file: RouteSpec;
  routeAllToLegacy: boolean;
}

/**
 * One entry of `GET /admin/routes` (and the answer to `PUT /admin/routes/:id`). `spec` is the route as booted
 * (path and target need a restart to change); `side` is absent for a route that always targets legacy.
 */
export function routeView(spec: RouteSpec, side: SideRouteView | undefined) {
  if (!side) return { id: spec.id, path: spec.path, target: spec.target, in_force: 'legacy' };
  const { live, state } = side;
  return {
    id: spec.id,
    path: spec.path,
    target: spec.target,
    in_force: inForce(live, side.routeAllToLegacy),
    weights: { legacy: 100 - live.newPercent, new: live.newPercent, source: state.newPercent.source },
    rollback: { value: live.rollback, source: state.rollback.source },
    fallback: live.fallback ? { statuses: [...live.fallback], breaker: live.breaker?.options } : null,
    breaker: live.breaker ? live.breaker.state : null,
    shadow: side.file.shadow ?? null,
    served: servedView(live.served),
  };
}
