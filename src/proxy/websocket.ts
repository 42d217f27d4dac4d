import proxyAddr from '@fastify/proxy-addr';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { createProxyMiddleware, type RequestHandler } from 'http-proxy-middleware';
import { toProblem } from '../errors/problem';
import { GatewayError } from '../errors/gateway-error';
import { isGatewayOwnPath, splitTarget, type CompiledRoute } from '../routing';
import { canonicalUrl, type PathCheck } from '../routing/path-guard';
import { compileTrust, plainAddress, type TrustFn } from './client-address';
import { buildUpstreamHeaders } from './request-headers';
import { validRequestId } from './request-id';
import type { ProxyWiring } from './proxy-routes';
import type { Upstream, UpstreamSet } from './upstream-set';

/**
 * Why an upgrade is not a WebSocket opening handshake the gateway will relay, or undefined when it is one.
 * Node hands every `Connection: Upgrade` request to the 'upgrade' listener, and http-proxy destroys the socket
 * without a word for anything but `Upgrade: websocket`: `curl --http2 http://...` (an h2c upgrade, RFC 7540 3.2)
 * got a reset instead of an answer. A malformed handshake (RFC 6455 4.2.1: GET, version 13, a key that is 16 bytes
 * in base64) is refused here too, so legacy never sees a handshake it would have to judge.
 */
function badHandshake(req: IncomingMessage): { detail: string; extra?: string } | undefined {
  const upgrade = String(req.headers.upgrade ?? '')
    .trim()
    .toLowerCase();
  if (upgrade !== 'websocket')
    return { detail: 'Only WebSocket upgrades are supported; send the request without Upgrade.' };
  if (req.method !== 'GET') return { detail: 'A WebSocket handshake must be a GET (RFC 6455 4.1).' };
  // RFC 6455 4.2.2: a version the server does not speak is answered with the versions it does.
  if (req.headers['sec-websocket-version'] !== '13') {
    return { detail: 'Only WebSocket version 13 is supported.', extra: 'Sec-WebSocket-Version: 13\r\n' };
  }
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || !/^[A-Za-z0-9+/]{22}==$/.test(key)) {
    return { detail: 'Sec-WebSocket-Key must be 16 random bytes in base64 (RFC 6455 4.1).' };
  }
  return undefined;
}

/** `extra` is head lines: the gateway's static security set (built once at attach time), then any of the case's own. */
function rejectUpgrade(socket: Socket, err: unknown, requestId: string, extra: string): void {
  if (socket.destroyed || socket.writableEnded) return;
  const problem = toProblem(err, requestId);
  const outcome = outcomes.get(socket);
  if (outcome) {
    outcome.status = problem.status;
    outcome.headAt ??= process.hrtime.bigint();
  }
  const body = JSON.stringify(problem);
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.title}\r\nContent-Type: application/problem+json\r\n${extra}` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export interface UpgradeIdentity {
  userId: string;
  method: string;
}

/**
 * What an HTTP request on the same route goes through before it is forwarded (auth per the route's `auth:`, its
 * rate limit), decided by the gateway for an upgrade: refuses with an error, or admits with the caller's identity.
 */
export type UpgradeAdmission = (
  req: IncomingMessage,
  route: CompiledRoute,
) => Promise<{ refusal: unknown } | { identity?: UpgradeIdentity }>;

/** What carries the upgrade itself; buildUpstreamHeaders drops Connection and Upgrade as hop-by-hop. */
const HANDSHAKE_FIELDS = new Set(['connection', 'upgrade', 'host']);
const identities = new WeakMap<IncomingMessage, UpgradeIdentity>();

/** What became of one upgrade request, reported (metrics, access log) when its client connection closes. */
interface UpgradeOutcome {
  routeId: string;
  target: string;
  /** 101 once upgraded, the refusal's status, or the upstream's non-101 answer; 499 if none came. */
  status: number;
  headAt?: bigint;
}
const outcomes = new WeakMap<Socket, UpgradeOutcome>();

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

/** Reports what became of an upgrade request (metrics, access log) once its client connection closes. */
function watchOutcome(req: IncomingMessage, socket: Socket, trust: TrustFn, onDone: UpgradeDone): void {
  const started = process.hrtime.bigint();
  const outcome: UpgradeOutcome = { routeId: 'unmatched', target: 'gateway', status: 499 };
  outcomes.set(socket, outcome);
  socket.once('close', () =>
    onDone(req, {
      routeId: outcome.routeId,
      target: outcome.target,
      status: outcome.status,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      firstByteSeconds: outcome.headAt === undefined ? undefined : Number(outcome.headAt - started) / 1e9,
      bytes: socket.bytesWritten,
      // As for HTTP requests (request.ip): the peer, or the forwarded client when the peer is a trusted proxy.
      client: plainAddress(proxyAddr(req, trust)),
    }),
  );
}

/** The relay of one route's upgrades (http-proxy-middleware), made at the route's first upgrade. */
function upgradeProxy(
  route: CompiledRoute,
  set: UpstreamSet,
  log: FastifyBaseLogger,
  trust: TrustFn,
  fixed: string,
): RequestHandler {
  // With a path in the target URL, http-proxy puts it before the request path: the instance's prefix, as for HTTP.
  const base = (u: Upstream) => u.origin + u.prefix;
  return createProxyMiddleware<IncomingMessage>({
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
      proxyReqWs: (proxyReq, req, socket) => {
        const outcome = outcomes.get(socket as Socket);
        if (outcome) {
          const answered = (status: number) => {
            outcome.status = status;
            outcome.headAt ??= process.hrtime.bigint();
          };
          proxyReq.once('upgrade', () => answered(101));
          // A refusal by the upstream (401, 404, ...) is relayed to the client as it came.
          proxyReq.once('response', (res) => answered(res.statusCode ?? 502));
        }
        // http-proxy copied the client's head as it came: the upstream gets the fields a forwarded request would
        // (request-headers.ts: hop-by-hop, forwarding, overrides, underscore twins, a client's X-Figway-*), plus
        // the handshake's own Connection and Upgrade, and the Host http-proxy chose (route `host:`).
        const h = buildUpstreamHeaders(req, trust, {
          requestId: (req.headers['x-request-id'] as string) ?? '',
          host: '',
          identity: identities.get(req),
        });
        for (const name of proxyReq.getHeaderNames())
          if (!(name in h) && !HANDSHAKE_FIELDS.has(name)) proxyReq.removeHeader(name);
        for (const name in h) if (name !== 'host') proxyReq.setHeader(name, h[name]);
      },
      error: (err, req, target) => {
        log.warn({ err, route: route.id, url: req.url }, 'websocket upstream failed');
        const socket = target as Socket;
        if (socket && 'end' in socket && !socket.destroyed && !socket.writableEnded) {
          rejectUpgrade(
            socket,
            new GatewayError('UPSTREAM_CONNECT_FAILED', 'The upstream service could not be reached.'),
            '',
            fixed,
          );
        }
      },
    },
  });
}

/**
 * WebSocket upgrades are relayed by http-proxy-middleware (the HTTP hot path is undici, which does not relay
 * upgrades). The route table picks the target the same way as for HTTP; modules do not speak WebSocket yet.
 */
export function attachWebSocketProxy(
  server: Server,
  w: ProxyWiring,
  log: FastifyBaseLogger,
  pathCheck: PathCheck,
  admit?: UpgradeAdmission,
  onDone?: UpgradeDone,
): void {
  const trust = compileTrust(w.config.trustProxy);
  // A refused handshake is an answer like any other: the gateway's static head lines (issue 9).
  const fixed = w.responses?.socketHeadLines ?? '';
  const proxies = new Map<CompiledRoute, RequestHandler>();

  const proxyFor = (route: CompiledRoute): RequestHandler => {
    let p = proxies.get(route);
    if (!p) proxies.set(route, (p = upgradeProxy(route, w.upstreams.forRoute(route), log, trust, fixed)));
    return p;
  };

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const id = validRequestId(req.headers['x-request-id']) ?? randomUUID();
    req.headers['x-request-id'] = id;
    socket.on('error', () => socket.destroy());
    if (onDone) watchOutcome(req, socket, trust, onDone);
    const bad = badHandshake(req);
    if (bad) {
      rejectUpgrade(socket, new GatewayError('BAD_REQUEST', bad.detail), id, fixed + (bad.extra ?? ''));
      return;
    }
    // Upgrades never pass Fastify's router or hooks: the same path normalisation, path check, auth and rate limit
    // are applied here, or a WebSocket would be the way around them.
    req.url = canonicalUrl(req);
    const method = req.method ?? 'GET';
    const [path] = splitTarget(req.url);
    const badPath = pathCheck(path, method);
    if (badPath !== undefined) {
      rejectUpgrade(socket, new GatewayError('BAD_PATH', badPath), id, fixed);
      return;
    }
    const route = w.table.match(path, method);
    const own = isGatewayOwnPath(path);
    const outcome = outcomes.get(socket);
    if (outcome) {
      // The gateway's own paths are labelled as the gateway's, as for HTTP (never as the catch-all's legacy).
      outcome.routeId = own ? 'gateway' : route.id;
      outcome.target = own ? 'gateway' : route.targetLabel;
    }
    if (own || route.target.kind === 'module') {
      rejectUpgrade(socket, new GatewayError('NOT_FOUND', 'No WebSocket endpoint at this path.'), id, fixed);
      return;
    }
    if (!admit) {
      proxyFor(route).upgrade(req, socket, head);
      return;
    }
    admit(req, route).then(
      (verdict) => {
        if ('refusal' in verdict) return rejectUpgrade(socket, verdict.refusal, id, fixed);
        if (socket.destroyed) return;
        if (verdict.identity) identities.set(req, verdict.identity);
        proxyFor(route).upgrade(req, socket, head);
      },
      (err: unknown) => {
        log.warn({ err, route: route.id }, 'websocket admission failed');
        rejectUpgrade(socket, new GatewayError('INTERNAL', 'The upgrade could not be admitted.'), id, fixed);
      },
    );
  });
}
