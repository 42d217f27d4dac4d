import proxyAddr from '@fastify/proxy-addr';
import { randomUUID } from 'node:crypto';
import type { ClientRequest, IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { createProxyMiddleware, type RequestHandler } from 'http-proxy-middleware';
import { toProblem } from '../errors/problem';
import { writeRawProblem } from '../errors/problem-writer';
import { GatewayError } from '../errors/gateway-error';
import { UpgradeExchange, type UpgradeStep } from '../pipeline/upgrade-exchange';
import { splitTarget, type CompiledRoute } from '../routing';
import { compileTrust, plainAddress, type TrustFn } from './client-address';
import { buildUpstreamHeaders } from './request-headers';
import { validRequestId } from './request-id';
import type { ProxyWiring } from './proxy-routes';
import type { Upstream } from './upstream-set';

/** What carries the upgrade itself; buildUpstreamHeaders drops Connection and Upgrade as hop-by-hop. */
const HANDSHAKE_FIELDS = new Set(['connection', 'upgrade', 'host']);

/** Reported once per upgrade request when its client connection closes: a WebSocket's duration is its session. */
export type UpgradeDone = (
  req: IncomingMessage,
  outcome: {
    routeId: string;
    target: string;
    status: number;
    seconds: number;
    firstByteSeconds?: number;
    bytes: number;
    client: string;
  },
) => void;

export interface UpgradeWiring {
  /** The upgrade stages, in order (src/pipeline/stages.ts); the last one has set the exchange's `target`. */
  stages: readonly UpgradeStep[];
  /** The gateway's static security set as head lines: a refused handshake is an answer like any other (issue 9). */
  fixedLines: string;
  onDone?: UpgradeDone;
}

/** `ex.lines` are the case's own head lines (RateLimit-*, Sec-WebSocket-Version), after the static set. */
function rejectUpgrade(ex: UpgradeExchange, err: unknown, fixed: string): void {
  if (ex.socket.destroyed || ex.socket.writableEnded) return;
  const problem = toProblem(err, ex.id);
  ex.answered(problem.status);
  writeRawProblem(ex.socket, problem, fixed + ex.lines);
}

/** Runs the stages in order; the first refusal ends the admission. */
async function admit(ex: UpgradeExchange, stages: readonly UpgradeStep[]): Promise<unknown> {
  for (const stage of stages) {
    const refusal = await stage(ex);
    if (refusal !== undefined) return refusal;
  }
  return undefined;
}

/**
 * http-proxy copied the client's head as it came: the upstream gets the fields a forwarded request would
 * (request-headers.ts: hop-by-hop, forwarding, overrides, underscore twins, a client's X-Figway-*), plus the
 * handshake's own Connection and Upgrade, and the Host http-proxy chose (route `host:`).
 */
function upstreamHead(proxyReq: ClientRequest, req: IncomingMessage, trust: TrustFn): void {
  const ex = req.figwayUpgrade;
  const h = buildUpstreamHeaders(req, trust, { requestId: ex?.id ?? '', host: '', identity: ex?.figwayUser });
  for (const name of proxyReq.getHeaderNames())
    if (!(name in h) && !HANDSHAKE_FIELDS.has(name)) proxyReq.removeHeader(name);
  for (const name in h) if (name !== 'host') proxyReq.setHeader(name, h[name]);
  if (!ex) return;
  proxyReq.once('upgrade', () => ex.answered(101));
  // A refusal by the upstream (401, 404, ...) is relayed to the client as it came.
  proxyReq.once('response', (res) => ex.answered(res.statusCode ?? 502));
}

/** One relay per route (and per legacy view of a route), built on its first upgrade. */
function relayFor(w: ProxyWiring, log: FastifyBaseLogger, trust: TrustFn, fixed: string) {
  const relays = new Map<CompiledRoute, RequestHandler>();
  return (route: CompiledRoute): RequestHandler => {
    let p = relays.get(route);
    if (p) return p;
    const set = w.upstreams.forRoute(route);
    // With a path in the target URL, http-proxy puts it before the request path: the instance's prefix, as for HTTP.
    const base = (u: Upstream) => u.origin + u.prefix;
    p = createProxyMiddleware<IncomingMessage>({
      target: base(set.upstreams[0]),
      router: () => base(set.pick()),
      ws: true,
      changeOrigin: !route.preserveHost,
      pathRewrite: (url) => {
        const [path, query] = splitTarget(url);
        return route.rewrite(path) + query;
      },
      logger: { info: () => {}, warn: (m: unknown) => log.warn(m), error: (m: unknown) => log.error(m) },
      on: {
        proxyReqWs: (proxyReq, req) => upstreamHead(proxyReq, req, trust),
        error: (err, req) => {
          log.warn({ err, route: route.id, url: req.url }, 'websocket upstream failed');
          const ex = req.figwayUpgrade;
          if (ex)
            rejectUpgrade(
              ex,
              new GatewayError('UPSTREAM_CONNECT_FAILED', 'The upstream service could not be reached.'),
              fixed,
            );
        },
      },
    });
    relays.set(route, p);
    return p;
  };
}

/** Reports the upgrade when its client connection closes. */
function reportOnClose(ex: UpgradeExchange, trust: TrustFn, onDone: UpgradeDone): void {
  ex.socket.once('close', () =>
    onDone(ex.req, {
      routeId: ex.routeId,
      target: ex.targetLabel,
      status: ex.status,
      seconds: Number(process.hrtime.bigint() - ex.started) / 1e9,
      firstByteSeconds: ex.headAt === undefined ? undefined : Number(ex.headAt - ex.started) / 1e9,
      bytes: ex.socket.bytesWritten,
      // As for HTTP requests (request.ip): the peer, or the forwarded client when the peer is a trusted proxy.
      client: plainAddress(proxyAddr(ex.req, trust)),
    }),
  );
}

/**
 * WebSocket upgrades are admitted by the upgrade stages (the HTTP stages' units: path guard, auth, rate limit,
 * route decision) and relayed by http-proxy-middleware (the HTTP hot path is undici, which does not relay
 * upgrades). Modules do not speak WebSocket yet.
 */
export function attachWebSocketProxy(server: Server, w: ProxyWiring, log: FastifyBaseLogger, u: UpgradeWiring): void {
  const trust = compileTrust(w.config.trustProxy);
  const relay = relayFor(w, log, trust, u.fixedLines);
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const id = validRequestId(req.headers['x-request-id']) ?? randomUUID();
    req.headers['x-request-id'] = id;
    socket.on('error', () => socket.destroy());
    const ex = new UpgradeExchange(req, socket, head, id);
    req.figwayUpgrade = ex;
    if (u.onDone) reportOnClose(ex, trust, u.onDone);
    admit(ex, u.stages).then(
      (refusal) => {
        if (refusal !== undefined) return rejectUpgrade(ex, refusal, u.fixedLines);
        if (!socket.destroyed) relay(ex.target!).upgrade(req, socket, head);
      },
      (err: unknown) => {
        log.warn({ err, route: ex.routeId }, 'websocket admission failed');
        rejectUpgrade(ex, new GatewayError('INTERNAL', 'The upgrade could not be admitted.'), u.fixedLines);
      },
    );
  });
}
