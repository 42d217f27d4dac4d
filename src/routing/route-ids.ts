import type { FastifyContextConfig, FastifyInstance, RouteOptions } from 'fastify';
import { isGatewayOwnPath, type RouteTable } from './route-table';

/**
 * Gives every route, whoever registers it, its id at registration time so hooks never match paths per request.
 * Must be added before any route is registered.
 */
export function labelRoutes(
  fastify: FastifyInstance,
  table: RouteTable,
  decorate: (cfg: FastifyContextConfig) => void,
): void {
  fastify.addHook('onRoute', (opts: RouteOptions) => {
    const cfg = (opts.config ??= {});
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
