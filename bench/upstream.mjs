// The stand-in legacy service: as cheap as node:http gets, so that proxy rows measure the proxy rather than
// the upstream. Usage: node bench/upstream.mjs [port]   (or PORT=...; 0 or nothing picks a free port)
import http from 'node:http';
import { announce, cliArgs, exitOnSignals } from './lib-http.mjs';

const BODY_BYTES = 1024;

/** A JSON document of exactly BODY_BYTES bytes, built once: the hot path must not serialize anything. */
function benchBody() {
  const head = '{"items":[{"id":1,"name":"bench"}],"pad":"';
  const tail = '"}';
  return Buffer.from(head + 'x'.repeat(BODY_BYTES - head.length - tail.length) + tail);
}

const body = benchBody();
const okHeaders = { 'content-type': 'application/json', 'content-length': String(body.length) };
const cacheableHeaders = { ...okHeaders, 'cache-control': 'public, max-age=300' };
const notFound = Buffer.from('{"error":"not found"}');

const server = http.createServer((req, res) => {
  const cacheable = req.url === '/api/v1/bench-cacheable';
  if ((req.url === '/api/v1/bench' || cacheable) && (req.method === 'GET' || req.method === 'HEAD')) {
    res.writeHead(200, cacheable ? cacheableHeaders : okHeaders);
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  // Drain any request body so the keep-alive socket stays usable for the next request.
  req.resume();
  res.writeHead(404, { 'content-type': 'application/json', 'content-length': String(notFound.length) });
  res.end(notFound);
});
// Proxies keep pooled sockets idle between warm-up and measurement; Node's 5 s default would close them
// under the pool and turn the first requests of a run into reconnects (or reset retries).
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;

const { port, host } = cliArgs({ needUpstream: false });
server.listen(port, host, () => announce('upstream', server));
exitOnSignals(server);
