// Raw-Node baseline: the least a node:http reverse proxy can do while still streaming both ways and dropping
// hop-by-hop fields. Usage: node bench/node-proxy.mjs <port> <upstream-url>
import http from 'node:http';
import { announce, badGateway, cliArgs, endToEndHeaders, exitOnSignals } from './lib-http.mjs';

const { port, host, upstream } = cliArgs({ needUpstream: true });

// maxSockets matches the gateway's UPSTREAM_CONNECTIONS default so both can open the same number of sockets.
const agent = new http.Agent({ keepAlive: true, maxSockets: 128, maxFreeSockets: 128 });

const server = http.createServer((req, res) => {
  const upReq = http.request(
    {
      agent,
      host: upstream.hostname,
      port: upstream.port || 80,
      method: req.method,
      path: req.url,
      headers: endToEndHeaders(req.headers),
    },
    (upRes) => {
      res.writeHead(upRes.statusCode, endToEndHeaders(upRes.headers));
      upRes.pipe(res);
      upRes.once('error', (err) => res.destroy(err));
    },
  );
  upReq.once('error', (err) => badGateway(res, err));
  // A client that goes away must not leave the upstream request holding a pooled socket.
  res.once('close', () => {
    if (!res.writableFinished) upReq.destroy();
  });
  req.pipe(upReq);
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;

server.listen(port, host, () => announce('node-proxy', server));
exitOnSignals(server);
