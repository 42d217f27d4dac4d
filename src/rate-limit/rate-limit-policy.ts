import { parseRateLimit, type GatewayConfig, type RateLimitSpec } from '../config';

export interface RateLimitPolicy {
  /** Keys the counters: routes with their own limit count apart from the default. */
  id: string;
  points: number;
  durationMs: number;
}

/** Resolves each route's policy once, at boot: its own `rate_limit`, else RATE_LIMIT; `off` gives none. */
export function compilePolicies(config: GatewayConfig): (routeId: string | undefined) => RateLimitPolicy | undefined {
  const toPolicy = (id: string, spec: RateLimitSpec | 'off'): RateLimitPolicy | undefined =>
    spec === 'off' ? undefined : { id, points: spec.points, durationMs: spec.durationMs };
  const fallback = toPolicy('default', config.rateLimit);
  const byRoute = new Map<string, RateLimitPolicy | undefined>();
  for (const spec of config.routes) {
    if (spec.rate_limit !== undefined)
      byRoute.set(spec.id, toPolicy(`route:${spec.id}`, parseRateLimit(spec.rate_limit)));
  }
  return (routeId) => (routeId !== undefined && byRoute.has(routeId) ? byRoute.get(routeId) : fallback);
}
