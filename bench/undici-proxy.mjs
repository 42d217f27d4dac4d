// Raw-undici baseline: node:http in front, undici.Pool behind, which is the gateway's own transport with
// nothing else around it. The gap between this row and the gateway is what Nest, Fastify and the gateway's
// per-request work cost.
//
// Usage: node bench/undici-proxy.mjs <port> <upstream-url> [request|stream]
//   request (default): pool.request() then pipe the body Readable into the response, as the gateway does.
//   stream: pool.stream(), where undici writes the body straight into the response. This skips the
//           intermediate Readable and the promise per request. It is the opt-in `undici-stream` row, kept to
//           show how much cheaper the gateway's forwarding could get.
import http from 'node:http';
import { pipeline } from 'node:stream';
import { Pool } from 'undici';
import { announce, badGateway, cliArgs, endToEndHeaders, exitOnSignals, hasBody } from './lib-http.mjs';

const { port, host, upstream } = cliArgs({ needUpstream: true });
const mode = process.argv[4] ?? 'request';
if (mode !== 'request' && mode !== 'stream') throw new Error(`unknown mode ${mode}: request or stream`);

// Same knobs as the gateway's pools (connections 128, no pipelining), so only the code around them differs.
const pool = new Pool(upstream.origin, { connections: 128, pipelining: 1, keepAliveTimeout: 30_000 });

function viaRequest(req, res, ac) {
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
}

function viaStream(req, res, ac) {
  pool
    .stream(
      {
        path: req.url,
        method: req.method,
        headers: endToEndHeaders(req.headers),
        body: hasBody(req.headers) ? req : null,
        signal: ac.signal,
        opaque: res,
      },
      // `opaque` carries the response so that this factory is one function for all requests, not a closure each.
      ({ statusCode, headers, opaque }) => {
        opaque.writeHead(statusCode, endToEndHeaders(headers));
        return opaque;
      },
    )
    .catch((err) => {
      if (!ac.signal.aborted) badGateway(res, err);
    });
}

const forward = mode === 'stream' ? viaStream : viaRequest;

const server = http.createServer((req, res) => {
  const ac = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) ac.abort();
  });
  forward(req, res, ac);
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;

server.listen(port, host, () => announce(`undici-proxy (${mode})`, server));
exitOnSignals(server);
