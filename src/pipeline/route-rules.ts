import type { FastifyInstance } from 'fastify';
import { sideRoutes } from '../migration/route-sides';
import type { RateLimitPolicy } from '../rate-limit/rate-limit-policy';
import { labelRoutes, type CompiledRoute } from '../routing';
import type { PipelineParts } from './parts';

/** What the per-request stages need to know about a route, decided once at boot. */
export interface RouteRule {
  /** Its rate-limit policy (its own `rate_limit`, else RATE_LIMIT); undefined: not limited. */
  rateLimit?: RateLimitPolicy;
  /** Its `auth:` mode. */
  auth?: 'required' | 'optional';
  /** On a new-side route with `auth:`: whether a rollback sends it to legacy now (authenticate-caller.ts). */
  rolledBack?: () => boolean;
  /** On a new-side route: the same probe, for the route decision whatever its `auth:`. */
  rollback?: () => boolean;
  /** On a new-side route: its legacy view (legacy_path, the client's Host), where a rollback sends it. */
  legacy?: CompiledRoute;
}

/** Rules by route id; `module:<path>` ids (Nest routes routes.yaml does not claim) get the default policy. */
export interface RouteRules {
  of(routeId: string): RouteRule;
}

type RuleParts = Pick<PipelineParts, 'config' | 'table' | 'migration'> & {
  policyFor: (routeId: string | undefined) => RateLimitPolicy | undefined;
};

export function compileRouteRules(p: RuleParts): RouteRules {
  const specs = new Map(p.config.routes.map((s) => [s.id, s]));
  const rules = new Map<string, RouteRule>();
  for (const route of [...p.table.routes, p.table.catchAll]) {
    const probe = p.migration.rollbackProbe(route.id);
    const spec = specs.get(route.id);
    rules.set(route.id, {
      rateLimit: p.policyFor(route.id),
      auth: route.auth,
      rolledBack: route.auth ? probe : undefined,
      rollback: probe,
      legacy: probe && spec ? sideRoutes(route, spec).legacy : undefined,
    });
  }
  return {
    of: (routeId) => rules.get(routeId) ?? { rateLimit: p.policyFor(routeId) },
  };
}

/**
 * Route labels: every route, whoever registers it (routes.yaml, Nest, the gateway's own), gets its id, rate-limit
 * policy, auth mode and rollback probe in its config at registration, so no stage matches paths per request.
 * The gateway's own paths (health, metrics, admin) are never limited. Must be added before any route is registered.
 */
export function installRouteLabels(fastify: FastifyInstance, p: Pick<PipelineParts, 'table' | 'rules'>): void {
  labelRoutes(fastify, p.table, (cfg) => {
    const rule = p.rules.of(cfg.routeId!);
    cfg.rateLimit = cfg.gatewayOwn ? undefined : rule.rateLimit;
    cfg.auth = rule.auth;
    cfg.rolledBack = rule.rolledBack;
  });
}
