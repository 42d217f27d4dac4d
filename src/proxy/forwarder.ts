import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { behindClose } from '../edge/closing-connections';
import type { CompiledRoute } from '../routing';
import { inRequestTrace } from '../telemetry/request-trace';
import type { TrustFn } from './client-address';
import { ClientExchange, forwardPlan } from './exchange';
import type { ResponseTransform } from './response-transforms';
import type { BodyTap, UpstreamResponse } from './upstream-response';
import type { UpstreamSet } from './upstream-set';

export type { BodyTap } from './upstream-response';
export { UpstreamResponse } from './upstream-response';
export { hasBody } from './exchange';
export { IDEMPOTENT } from './retry-policy';

/** One client request on its way through a proxied route; what a response cache needs to act on it. */
export interface Exchange {
  readonly request: FastifyRequest;
  readonly route: CompiledRoute;
  /** This request's CSP nonce (sent upstream as X-CSP-Nonce); undefined when CSP_MODE=off. */
  readonly nonce?: string;
  /**
   * Sends the request upstream, retrying per policy; resolves at the response head, rejects with the last upstream
   * error. `headers` are added to the outgoing request (conditional revalidation); `detached` calls survive the
   * client leaving (background revalidation).
   */
  call(opts?: { headers?: Record<string, string>; detached?: boolean }): Promise<UpstreamResponse>;
  /** Streams an upstream response to the client; `extra` fields are added (X-Cache). */
  relay(up: UpstreamResponse, extra?: OutgoingHttpHeaders, tap?: BodyTap): void;
  /**
   * Answers with a complete response the gateway holds (a cache hit): `headers` are the stored ones, only read;
   * `extra` fields (X-Cache) join the gateway's own, which replace stored fields of the same name.
   */
  respond(status: number, headers: Readonly<OutgoingHttpHeaders>, body: Buffer, extra?: OutgoingHttpHeaders): void;
  fail(err: unknown): void;
  readonly clientGone: () => boolean;
  /**
   * Sends later calls of this exchange to another side (migration fallback, src/migration): `as` gives the path
   * rewrite, timeout and the label onDone reports; `set` the upstream pool.
   */
  reroute(as: CompiledRoute, set: UpstreamSet): void;
}

/** A response cache plugged into the forwarder (see src/cache): decides per request whether it takes over. */
export interface ExchangeCache {
  takes(exchange: Exchange): boolean;
  handle(exchange: Exchange): Promise<void>;
}

export interface ForwarderOptions {
  trust: TrustFn;
  idleTimeoutMs: number;
  log: FastifyBaseLogger;
  cache?: ExchangeCache;
  /**
   * The route's response edits (security headers, CSP, CORS), chosen by the gateway's policy at boot and applied
   * in order (src/proxy/response-transforms.ts); none leaves upstream heads as they are.
   */
  transforms?: readonly ResponseTransform[];
  /** Told when a relayed event stream (text/event-stream) opens and when its response closes. */
  streams?: { opened(): void; closed(): void };
  /**
   * Called once per forwarded request when the client's response is over (metrics, access log).
   * `firstByteSeconds`: when the response head was written; undefined if the client left before that.
   */
  onDone?: (
    route: CompiledRoute,
    method: string,
    status: number,
    seconds: number,
    reply: FastifyReply,
    firstByteSeconds: number | undefined,
  ) => void;
  onUpstreamError?: (upstream: string, kind: string) => void;
  /** TRACE_UPSTREAM_SPANS: a CLIENT span per upstream attempt; otherwise the SERVER span records the exchange. */
  upstreamSpans?: boolean;
}

export type ForwardFn = (request: FastifyRequest, reply: FastifyReply) => void;

/**
 * Replies the forwarder took over (`figwayForwarded`, src/request-slots.ts). Fastify still runs onResponse hooks
 * for a hijacked reply once its response finishes, so the gateway's hook asks this to leave them to onDone (which
 * alone knows the target, and sees clients that left): counting both would log and count each proxied request
 * twice.
 */
export function wasForwarded(reply: FastifyReply): boolean {
  return reply.figwayForwarded === true;
}

/**
 * Builds the forwarding function of one route at boot: target pool, path rewrite, timeouts and response transforms
 * are fixed here, so the request path does no lookups. Bodies stream both ways through undici and are never parsed;
 * the client's response is written by the request's exchange (exchange.ts).
 */
export function createForwarder(route: CompiledRoute, set: UpstreamSet, opts: ForwarderOptions): ForwardFn {
  const plan = forwardPlan(route, set, opts);
  const cache = opts.cache;
  return function forward(request, reply) {
    reply.hijack();
    // Pipelined behind an answer that closes the connection (src/edge/closing-connections.ts): never forwarded.
    if (behindClose(request)) return;
    reply.figwayForwarded = true;
    const exchange = new ClientExchange(request, reply, plan);
    if (exchange.refusedForSize()) return;
    if (cache?.takes(exchange)) {
      // In the request's trace: the store lookup (a Redis command) is issued before the first await.
      inRequestTrace(request, () => cache.handle(exchange)).catch((err: unknown) => exchange.fail(err));
      return;
    }
    void exchange.relayCall();
  };
}
