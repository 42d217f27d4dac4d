import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { createProxyMiddleware, type RequestHandler } from 'http-proxy-middleware';
import { toProblem } from '../errors/problem';
import { GatewayError } from '../errors/gateway-error';
import { isGatewayOwnPath, splitTarget, type CompiledRoute } from '../routing';
import { compileTrust } from './client-address';
import { buildUpstreamHeaders } from './request-headers';
import { validRequestId } from './request-id';
import type { ProxyWiring } from './proxy-routes';

function rejectUpgrade(socket: Socket, err: GatewayError, requestId: string): void {
  const body = JSON.stringify(toProblem(err, requestId));
  socket.end(
    `HTTP/1.1 ${err.status} ${err.title}\r\nContent-Type: application/problem+json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * WebSocket upgrades are relayed by http-proxy-middleware (the HTTP hot path is undici, which does not relay
 * upgrades). The route table picks the target the same way as for HTTP; modules do not speak WebSocket yet.
 */
export function attachWebSocketProxy(server: Server, w: ProxyWiring, log: FastifyBaseLogger): void {
  const trust = compileTrust(w.config.trustProxy);
  const proxies = new Map<CompiledRoute, RequestHandler>();

  const proxyFor = (route: CompiledRoute): RequestHandler => {
    let p = proxies.get(route);
    if (p) return p;
    const set = w.upstreams.forRoute(route);
    p = createProxyMiddleware<IncomingMessage>({
      target: set.upstreams[0].origin,
      router: () => set.pick().origin,
      ws: true,
      changeOrigin: !route.preserveHost,
      pathRewrite: (url) => {
        const [path, query] = splitTarget(url);
        return route.rewrite(path) + query;
      },
      logger: { info: () => {}, warn: (m: unknown) => log.warn(m), error: (m: unknown) => log.error(m) },
      on: {
        proxyReqWs: (proxyReq, req) => {
          const h = buildUpstreamHeaders(req, trust, {
            requestId: (req.headers['x-request-id'] as string) ?? '',
            host: req.headers.host ?? '',
          });
          for (const name of ['forwarded', 'x-real-ip']) if (!(name in h)) proxyReq.removeHeader(name);
          for (const name of ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id']) {
            proxyReq.setHeader(name, h[name]);
          }
        },
        error: (err, req, target) => {
          log.warn({ err, route: route.id, url: req.url }, 'websocket upstream failed');
          const socket = target as Socket;
          if (socket && 'end' in socket && !socket.destroyed && !socket.writableEnded) {
            rejectUpgrade(socket, new GatewayError('UPSTREAM_CONNECT_FAILED', 'The upstream service could not be reached.'), '');
          }
        },
      },
    });
    proxies.set(route, p);
    return p;
  };

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const id = validRequestId(req.headers['x-request-id']) ?? randomUUID();
    req.headers['x-request-id'] = id;
    socket.on('error', () => socket.destroy());
    const [path] = splitTarget(req.url ?? '/');
    const route = w.table.match(path, req.method ?? 'GET');
    if (isGatewayOwnPath(path) || route.target.kind === 'module') {
      rejectUpgrade(socket, new GatewayError('NOT_FOUND', 'No WebSocket endpoint at this path.'), id);
      return;
    }
    proxyFor(route).upgrade(req, socket, head);
  });
}
