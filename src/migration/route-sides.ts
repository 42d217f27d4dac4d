import type { FastifyReply, FastifyRequest, onRequestHookHandler, onResponseHookHandler } from 'fastify';
import type { RouteSpec } from '../config';
import { hasBody, IDEMPOTENT, type Exchange, type ExchangeCache, type ForwardFn } from '../proxy/forwarder';
import type { ForwarderBuilder } from '../proxy/proxy-routes';
import type { UpstreamResponse } from '../proxy/upstream-response';
import { compileRewrite, type CompiledRoute } from '../routing';
import { bucketOf, choosesNew } from './bucket';
import type { LiveFlags, RouteLive } from './live-state';
import { SHADOW_TOKEN_HEADER, type ShadowRunner, type ShadowTarget } from './shadow';
import { stickyKey } from './sticky-key';

export const enum Side {
  Legacy,
  New,
  /** Legacy because the new side's breaker is open: counted as fallback. */
  Fallback,
  /** A shadow copy injected into the module: not a client request, not counted. */
  Shadow,
}

/**
 * The per-request decision: plain reads of the live objects, a hash only on split routes. A request the auth hook
 * let through without credentials because of a rollback stays on legacy, even if the rollback ended meanwhile.
 */
/** What decideSide can answer: a shadow copy is never decided here (it is marked where it is injected). */
export type ClientSide = Side.Legacy | Side.New | Side.Fallback;

export function decideSide(
  live: RouteLive,
  flags: LiveFlags,
  request: FastifyRequest,
  reply: FastifyReply,
): ClientSide {
  if (flags.routeAllToLegacy || live.rollback || request.figwayRolledBack) return Side.Legacy;
  const p = live.newPercent;
  if (p < 100 && (p <= 0 || !choosesNew(bucketOf(live.id, stickyKey(request, reply)), p))) return Side.Legacy;
  if (live.breaker && !live.breaker.allow()) return Side.Fallback;
  return Side.New;
}

/** Only these may be sent twice: nothing was streamed from the client, and the method allows a repeat. */
export function replayable(request: FastifyRequest): boolean {
  return IDEMPOTENT.has(request.method) && !hasBody(request);
}

export interface SideRoutes {
  legacy: CompiledRoute;
  fallback: CompiledRoute;
  fresh: CompiledRoute;
}

/** The three labelled views of a route, built at boot: the metrics `target` says which side answered. */
export function sideRoutes(route: CompiledRoute, spec: RouteSpec): SideRoutes {
  const legacy: CompiledRoute = {
    ...route,
    target: { kind: 'legacy' },
    targetLabel: 'legacy',
    rewrite: compileRewrite(spec.path, spec.legacy_path),
    preserveHost: true,
  };
  return {
    legacy,
    fallback: { ...legacy, targetLabel: 'fallback' },
    fresh: { ...route, targetLabel: route.target.kind === 'module' ? 'module' : 'upstream' },
  };
}

/** What a route's sides need for shadow traffic; built at boot by MigrationControl. */
export interface ShadowWiring {
  runner: ShadowRunner;
  legacy: ShadowTarget;
  fresh: ShadowTarget;
}

/**
 * A side's exchange plugin (the forwarder's cache slot). On the new side, while fallback is configured, it takes
 * the request, watches the answer, feeds the breaker, and replays a failed bodiless idempotent request to legacy
 * on the same client exchange (nothing has been written to the client yet). On either side it starts a sampled
 * shadow copy once the primary answer is on its way. Otherwise the response cache decides.
 */
function sidePlugin(
  side: 'legacy' | 'new',
  live: RouteLive,
  sides: SideRoutes,
  build: ForwarderBuilder,
  shadow?: ShadowWiring,
): ExchangeCache {
  const cache = build.cache;
  const shadowTo = side === 'legacy' ? 'new' : 'legacy';
  const toLegacy = async (ex: Exchange) => {
    live.served.new--;
    live.served.fallback++;
    ex.reroute(sides.fallback, build.legacy);
    ex.relay(await ex.call());
  };
  const relay = (ex: Exchange, up: UpstreamResponse) => {
    const tap = shadow && ex.request.figwayShadowSampled ? startShadow(ex.request) : undefined;
    ex.relay(up, undefined, tap?.(up.statusCode, up.headers));
  };
  const startShadow = (request: FastifyRequest) => {
    const primary =
      side === 'legacy' ? { side: 'legacy', target: shadow!.legacy } : { side: 'new', target: shadow!.fresh };
    const other =
      side === 'legacy' ? { side: 'new', target: shadow!.fresh } : { side: 'legacy', target: shadow!.legacy };
    return shadow!.runner.start(live, request, primary, other);
  };
  return {
    takes(ex) {
      const s = live.shadow;
      if (shadow && s && s.to === shadowTo && shadow.runner.wants(s, ex.request.method, !hasBody(ex.request))) {
        ex.request.figwayShadowSampled = true;
        return true;
      }
      return (side === 'new' && live.fallback !== undefined) || (cache?.takes(ex) ?? false);
    },
    async handle(ex) {
      const statuses = side === 'new' ? live.fallback : undefined;
      if (!statuses) {
        if (!ex.request.figwayShadowSampled) return cache!.handle(ex);
        return relay(ex, await ex.call());
      }
      const breaker = live.breaker;
      const again = replayable(ex.request);
      let up;
      try {
        up = await ex.call();
      } catch (err) {
        if (ex.clientGone()) {
          breaker?.abandon();
          throw err;
        }
        breaker?.failure();
        if (!again) throw err;
        return toLegacy(ex);
      }
      if (statuses.has(up.statusCode)) {
        breaker?.failure();
        if (again) {
          up.dump();
          return toLegacy(ex);
        }
      } else breaker?.success();
      relay(ex, up);
    },
  };
}

/** A proxied route whose new side is an http upstream: both forwarders are built now, the request picks one. */
export function proxiedSides(
  route: CompiledRoute,
  spec: RouteSpec,
  live: RouteLive,
  flags: LiveFlags,
  build: ForwarderBuilder,
  shadow?: ShadowWiring,
): ForwardFn {
  const sides = sideRoutes(route, spec);
  const legacy = build.forwarder(sides.legacy, sidePlugin('legacy', live, sides, build, shadow));
  const fallback = build.forwarder(sides.fallback);
  const fresh = build.forwarder(sides.fresh, sidePlugin('new', live, sides, build, shadow));
  return (request, reply) => {
    switch (decideSide(live, flags, request, reply)) {
      case Side.New:
        live.served.new++;
        return fresh(request, reply);
      case Side.Legacy:
        live.served.legacy++;
        return legacy(request, reply);
      case Side.Fallback:
        live.served.fallback++;
        return fallback(request, reply);
    }
  };
}

/**
 * A module route's request met helmet, which writes its fields on the raw response; a forwarder that takes the
 * request over writes the gateway's whole head itself. Node 24's writeHead adds its fields to those set before
 * (Node 20 let them be replaced), so `X-Content-Type-Options: nosniff, nosniff` reached clients: cleared first.
 */
function forwardFromModule(forward: ForwardFn, request: FastifyRequest, reply: FastifyReply): void {
  for (const name of reply.raw.getHeaderNames()) reply.raw.removeHeader(name);
  forward(request, reply);
}

/** Set on a module request that may still fall back; ProblemFilter calls it on a 5xx before anything was sent. */
export type ModuleFallback = (request: FastifyRequest, reply: FastifyReply) => void;

/**
 * A module route: the decision is a route-level onRequest hook (after the global auth and rate-limit hooks, so
 * the identity is known, and before Nest parses a body). Legacy requests are forwarded from the hook; new ones go
 * on to the module. A module 5xx thrown before any byte was sent replays a bodiless idempotent request to
 * legacy (ProblemFilter asks `figwayFallback`).
 */
export function moduleSides(
  route: CompiledRoute,
  spec: RouteSpec,
  live: RouteLive,
  flags: LiveFlags,
  build: ForwarderBuilder,
  shadow?: ShadowWiring,
) {
  const sides = sideRoutes(route, spec);
  const legacy = build.forwarder(sides.legacy, sidePlugin('legacy', live, sides, build, shadow));
  const fallback = build.forwarder(sides.fallback);
  const replay: ModuleFallback = (request, reply) => {
    live.breaker?.failure();
    live.served.new--;
    live.served.fallback++;
    request.figwaySide = Side.Fallback;
    forwardFromModule(fallback, request, reply);
  };
  const token = shadow?.runner.token;
  const onRequest: onRequestHookHandler = (request, reply, done) => {
    if (live.shadow && request.headers[SHADOW_TOKEN_HEADER] === token) {
      request.figwaySide = Side.Shadow;
      return done();
    }
    const side = decideSide(live, flags, request, reply);
    if (side === Side.New) {
      live.served.new++;
      request.figwaySide = Side.New;
      if (live.fallback && replayable(request)) request.figwayFallback = replay;
      return done();
    }
    if (side === Side.Legacy) {
      live.served.legacy++;
      return forwardFromModule(legacy, request, reply);
    }
    live.served.fallback++;
    forwardFromModule(fallback, request, reply);
  };
  // The module's outcome feeds the breaker (a replayed request was already counted as a failure).
  const onResponse: onResponseHookHandler = (request, reply, done) => {
    const breaker = live.breaker;
    if (breaker && request.figwaySide === Side.New) {
      if (reply.statusCode >= 500 || live.fallback?.has(reply.statusCode)) breaker.failure();
      else breaker.success();
    }
    done();
  };
  return { onRequest, onResponse };
}

/** Shadow copies injected into a module are not client traffic: the metrics hook leaves them out. */
export function isShadowCopy(request: FastifyRequest): boolean {
  return request.figwaySide === Side.Shadow;
}

/** A Nest route routes.yaml does not claim: only the global rollback can send it to legacy (the catch-all). */
export function unclaimedModule(
  flags: LiveFlags,
  catchAll: CompiledRoute,
  build: ForwarderBuilder,
): onRequestHookHandler {
  const legacy = build.forwarder(catchAll);
  return (request, reply, done) => (flags.routeAllToLegacy ? legacy(request, reply) : done());
}
