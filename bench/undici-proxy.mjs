// Raw-undici baseline: node:http in front, undici.Pool behind, which is the gateway's own transport with
// nothing else around it. The gap between this row and the gateway is what Nest, Fastify and the gateway's
// per-request work cost. Usage: node bench/undici-proxy.mjs <port> <upstream-url>
import http from 'node:http';
import { pipeline } from 'node:stream';
import { Pool } from 'undici';
import { announce, badGateway, cliArgs, endToEndHeaders, exitOnSignals, hasBody } from './lib-http.mjs';

const { port, host, upstream } = cliArgs({ needUpstream: true });

// Same knobs as the gateway's pools (connections 128, no pipelining), so only the code around them differs.
const pool = new Pool(upstream.origin, { connections: 128, pipelining: 1, keepAliveTimeout: 30_000 });

const server = http.createServer((req, res) => {
  const ac = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) ac.abort();
  });
  pool
    .request({
      path: req.url,
      method: req.method,
      headers: endToEndHeaders(req.headers),
      body: hasBody(req.headers) ? req : null,
      signal: ac.signal,
    })
    .then(
      (up) => {
        res.writeHead(up.statusCode, endToEndHeaders(up.headers));
        pipeline(up.body, res, () => {});
      },
      (err) => {
        if (!ac.signal.aborted) badGateway(res, err);
      },
    );
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;

server.listen(port, host, () => announce('undici-proxy', server));
exitOnSignals(server);
