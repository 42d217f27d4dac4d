import type { FastifyInstance, RouteOptions } from 'fastify';
import { isGatewayOwnPath, type RouteTable } from './route-table';

export interface RouteConfig {
  /** Bounded label for metrics and logs: a routes.yaml id, `module:<path pattern>` for Nest routes, or `gateway`. */
  routeId?: string;
  gatewayOwn?: boolean;
}

/**
 * Gives every route, whoever registers it, its id at registration time so hooks never match paths per request.
 * Must be added before any route is registered.
 */
export function labelRoutes(fastify: FastifyInstance, table: RouteTable, decorate: (cfg: RouteConfig) => void): void {
  fastify.addHook('onRoute', (opts: RouteOptions) => {
    const cfg = (opts.config ??= {}) as RouteConfig;
    if (!cfg.routeId) {
      if (isGatewayOwnPath(opts.url)) {
        cfg.routeId = 'gateway';
        cfg.gatewayOwn = true;
      } else {
        const method = ([] as string[]).concat(opts.method)[0];
        const claimed = table.match(opts.url, method);
        cfg.routeId = claimed === table.catchAll ? `module:${opts.url}` : claimed.id;
      }
    }
    decorate(cfg);
  });
}
