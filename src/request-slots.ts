import type { Context } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import type { Identity } from './auth/auth.service';
import type { EdgeRefusal } from './edge/closing-connections';
import type { ModuleFallback, Side } from './migration/route-sides';
import type { UpgradeExchange } from './pipeline/upgrade-exchange';
import type { RateLimitPolicy } from './rate-limit/rate-limit-policy';

/**
 * Per-request values the gateway keeps on Fastify's request and reply objects, declared once at boot so every
 * request object has the same shape. They replace WeakMaps keyed by request: a WeakMap entry per request made V8's
 * garbage collector process an ephemeron per live request at every scavenge, which showed in CPU profiles as
 * WeakMap `set` time and a rise in GC time (bench/README.md, "Figures behind code comments").
 */
declare module 'fastify' {
  interface FastifyRequest {
    /** The request's trace context, sampled or not (request-trace.ts); null when not traced. */
    figwayTrace: Context | null;
    /** The same, only when sampled: what `traced` hooks enter. */
    figwayTraceRecorded: Context | null;
    /** Socket bytes written before this response started (access log); -1 when not noted. */
    figwayBytesBefore: number;
    /** Its place among the requests of its HTTP/1.1 connection, from 1 in parse order; 0 for HTTP/2 (closing-connections.ts). */
    figwayParseOrder: number;
    /** What the pipeline guard found wrong with it, for the gateway's hook to answer; null when nothing. */
    figwayEdgeRefusal: EdgeRefusal | null;
    /**
     * Admitted while a rollback sent its route to legacy, so with `auth: required` relaxed to optional (auth-hook.ts):
     * the side decision keeps it on legacy even if the rollback ends before the side is chosen.
     */
    figwayRolledBack: boolean;
    /** Who the auth hook (routes with `auth:`) or Nest's AuthGuard proved the caller to be; undefined when nobody. */
    figwayUser: Identity | undefined;
    /** Which side of a migrating module route serves it (route-sides.ts); null when not decided there. */
    figwaySide: Side | null;
    /** Set on a module request that may still be replayed to legacy after a 5xx (ProblemFilter asks). */
    figwayFallback: ModuleFallback | null;
    /** Picked for a shadow copy by its route's side plugin (route-sides.ts), which starts the copy once answered. */
    figwayShadowSampled: boolean;
  }
  interface FastifyReply {
    /** Taken over by the forwarder, which counts and logs it itself. */
    figwayForwarded: boolean;
    /** When a reply a v2 module streams itself wrote its head, in ms since the request; -1 if not marked. */
    figwayFirstByteMs: number;
  }
  /**
   * What a route carries from registration (src/pipeline: route labels), read by the stages per request. Set in
   * `onRoute`, so a hook never matches paths or looks a policy up per request.
   */
  interface FastifyContextConfig {
    /** Bounded label for metrics and logs: a routes.yaml id, `module:<path pattern>` for Nest routes, or `gateway`. */
    routeId?: string;
    /** The gateway's own paths (health, metrics, admin): answered even while shedding load. */
    gatewayOwn?: boolean;
    /** The route's rate-limit policy; undefined: not limited. */
    rateLimit?: RateLimitPolicy;
    /** The route's `auth:` mode from routes.yaml. */
    auth?: 'required' | 'optional';
    /** On a route whose normal target is the new side: whether a rollback sends it to legacy now (src/migration). */
    rolledBack?: () => boolean;
    /** Registered by the proxy (routes.yaml or the catch-all), not by Nest. */
    figwayProxy?: boolean;
    /** @fastify/helmet's per-route switch, in config form (security-headers.ts HELMET_SKIPPED). */
    helmet?: { skipRoute?: boolean };
  }
}

declare module 'http' {
  interface IncomingMessage {
    /**
     * Only on a WebSocket upgrade, which never becomes a Fastify request: its way through the upgrade stages, read
     * by the relay's callbacks (src/proxy/websocket.ts), which http-proxy hands the raw request alone.
     */
    figwayUpgrade?: UpgradeExchange;
  }
}

export function declareRequestSlots(fastify: FastifyInstance): void {
  fastify.decorateRequest('figwayTrace', null);
  fastify.decorateRequest('figwayTraceRecorded', null);
  fastify.decorateRequest('figwayBytesBefore', -1);
  fastify.decorateRequest('figwayParseOrder', 0);
  fastify.decorateRequest('figwayEdgeRefusal', null);
  fastify.decorateRequest('figwayRolledBack', false);
  fastify.decorateRequest('figwayUser', undefined);
  fastify.decorateRequest('figwaySide', null);
  fastify.decorateRequest('figwayFallback', null);
  fastify.decorateRequest('figwayShadowSampled', false);
  fastify.decorateReply('figwayForwarded', false);
  fastify.decorateReply('figwayFirstByteMs', -1);
}
