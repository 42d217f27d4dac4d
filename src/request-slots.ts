import type { Context } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import type { EdgeRefusal } from './edge/closing-connections';

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
  }
  interface FastifyReply {
    /** Taken over by the forwarder, which counts and logs it itself. */
    figwayForwarded: boolean;
    /** When a reply a v2 module streams itself wrote its head, in ms since the request; -1 if not marked. */
    figwayFirstByteMs: number;
  }
}

export function declareRequestSlots(fastify: FastifyInstance): void {
  fastify.decorateRequest('figwayTrace', null);
  fastify.decorateRequest('figwayTraceRecorded', null);
  fastify.decorateRequest('figwayBytesBefore', -1);
  fastify.decorateRequest('figwayParseOrder', 0);
  fastify.decorateRequest('figwayEdgeRefusal', null);
  fastify.decorateRequest('figwayRolledBack', false);
  fastify.decorateReply('figwayForwarded', false);
  fastify.decorateReply('figwayFirstByteMs', -1);
}
