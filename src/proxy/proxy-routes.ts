import type { FastifyInstance, HTTPMethods, onRequestHookHandler, onResponseHookHandler, RouteOptions } from 'fastify';
import type { GatewayConfig } from '../config';
import { isGatewayOwnPath, type CompiledRoute, type RouteTable } from '../routing';
import { compileTrust } from './client-address';
import { createForwarder, type ExchangeCache, type ForwarderOptions, type ForwardFn } from './forwarder';
import type { ProxiedResponses } from './response-transforms';
import type { UpstreamRegistry } from './upstream-registry';
import type { UpstreamSet } from './upstream-set';

/** What a side-steering layer (src/migration) gets to build its forwarders at boot. */
export interface ForwarderBuilder {
  /** A forwarder for `route` (its target picks the pool); `cache` replaces the wiring's exchange plugin. */
  forwarder(route: CompiledRoute, cache?: ExchangeCache): ForwardFn;
  legacy: UpstreamSet;
  /** The pool set a route's target uses. */
  pool(route: CompiledRoute): UpstreamSet;
  cache?: ExchangeCache;
}

/** Run-time side choice (rollout weights, rollback, fallback), decided at boot per route: undefined costs nothing. */
export interface SideSteering {
  proxied(route: CompiledRoute, build: ForwarderBuilder): ForwardFn | undefined;
  /** Hooks for a Nest (v2 module) route; `route` is undefined for a module path routes.yaml does not claim. */
  module(
    route: CompiledRoute | undefined,
    build: ForwarderBuilder,
  ): { onRequest: onRequestHookHandler; onResponse?: onResponseHookHandler } | undefined;
}

export interface ProxyWiring {
  config: GatewayConfig;
  table: RouteTable;
  upstreams: UpstreamRegistry;
  onDone?: ForwarderOptions['onDone'];
  streams?: ForwarderOptions['streams'];
  onUpstreamError?: ForwarderOptions['onUpstreamError'];
  cache?: ForwarderOptions['cache'];
  steering?: SideSteering;
  /**
   * The gateway's policy for the answers the forwarder writes (security headers, CSP, CORS as response transforms
   * per route); undefined leaves upstream heads as they are.
   */
  responses?: ProxiedResponses;
}

function builder(w: ProxyWiring, fastify: FastifyInstance): ForwarderBuilder {
  return {
    forwarder: (route, cache) => forwarderFor(route, w, fastify, cache),
    legacy: w.upstreams.legacy,
    pool: (r) => w.upstreams.forRoute(r),
    cache: w.cache,
  };
}

function forwarderFor(route: CompiledRoute, w: ProxyWiring, fastify: FastifyInstance, cache = w.cache): ForwardFn {
  return createForwarder(route, w.upstreams.forRoute(route), {
    trust: compileTrust(w.config.trustProxy),
    idleTimeoutMs: w.config.upstream.idleTimeoutMs,
    log: fastify.log,
    onDone: w.onDone,
    streams: w.streams,
    onUpstreamError: w.onUpstreamError,
    cache,
    transforms: w.responses?.transformsFor(route),
    upstreamSpans: w.config.traceUpstreamSpans,
  });
}

/**
 * Routes served by v2 modules are registered by Nest. When routes.yaml or ROUTE_ALL_TO_LEGACY sends one of them
 * elsewhere, its handler is bypassed in onRequest, before Nest could parse (and so consume) the body.
 * Must be added before Nest registers its routes.
 */
export function redirectModuleRoutes(fastify: FastifyInstance, w: ProxyWiring): void {
  fastify.addHook('onRoute', (opts: RouteOptions) => {
    if (opts.config?.figwayProxy || isGatewayOwnPath(opts.url)) return;
    const methods = ([] as string[]).concat(opts.method);
    const route = methods.map((m) => w.table.match(opts.url, m)).find((r) => r !== w.table.catchAll);
    let target: CompiledRoute | undefined;
    if (route && route.target.kind !== 'module') target = route;
    else if (!route && w.config.routeAllToLegacy) target = w.table.catchAll;
    if (!target) {
      const steer = w.steering?.module(route, builder(w, fastify));
      if (!steer) return;
      opts.onRequest = [
        steer.onRequest,
        ...([] as unknown[]).concat(opts.onRequest ?? []),
      ] as RouteOptions['onRequest'];
      if (steer.onResponse)
        opts.onResponse = [
          steer.onResponse,
          ...([] as unknown[]).concat(opts.onResponse ?? []),
        ] as RouteOptions['onResponse'];
      return;
    }
    const forward = forwarderFor(target, w, fastify);
    Object.assign((opts.config ??= {}), w.responses?.routeConfig);
    const hooks = ([] as unknown[]).concat(opts.onRequest ?? []);
    opts.onRequest = [(request, reply) => forward(request, reply), ...hooks] as RouteOptions['onRequest'];
  });
}

/**
 * Registers the proxied routes (compiled from routes.yaml, plus the legacy catch-all) in an encapsulated
 * context whose only content-type parser passes the body through untouched: a forwarded body is never parsed.
 */
export async function registerProxyRoutes(fastify: FastifyInstance, w: ProxyWiring): Promise<void> {
  await fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
    const methods = scope.supportedMethods as HTTPMethods[];
    const proxied = [...w.table.routes.filter((r) => r.target.kind !== 'module'), w.table.catchAll];
    for (const route of proxied) {
      const forward = w.steering?.proxied(route, builder(w, scope)) ?? forwarderFor(route, w, scope);
      const wanted = route.methods === 'ALL' ? methods : (route.methods as HTTPMethods[]);
      for (const url of route.patterns) {
        // A path a v2 module registered stays Nest's route; redirectModuleRoutes steers it instead.
        const method = wanted.filter((m) => !scope.hasRoute({ url, method: m }));
        if (method.length === 0) continue;
        scope.route({
          method,
          url,
          exposeHeadRoute: false,
          config: { figwayProxy: true, routeId: route.id, ...w.responses?.routeConfig },
          handler: (request, reply) => forward(request, reply),
        });
      }
    }
  });
}
