import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/**
 * /metrics on a port of its own (METRICS_PORT), the way Envoy's admin port and Kong's status listener keep it off
 * the public one: request counts by route, upstream addresses and flags are for the scraper, not for whoever
 * reaches the Ingress. Only `GET /metrics`; everything else is 404.
 */
export async function startMetricsListener(registry: Registry, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.metrics().then(
      (body) => {
        res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  // Scrapers keep their connection; a probe that never sends a request is not kept forever.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
