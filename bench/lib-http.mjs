// Shared by the two baseline proxies so they strip exactly the same fields: a row that forwarded more or
// fewer headers would not be comparing the same work.

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Copies a lowercase-keyed header object without hop-by-hop fields or the ones Connection names. */
export function endToEndHeaders(headers) {
  const named = headers.connection;
  const extra = named
    ? String(named)
        .split(',')
        .map((t) => t.trim().toLowerCase())
        .filter(Boolean)
    : [];
  const out = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || extra.includes(name)) continue;
    out[name] = headers[name];
  }
  return out;
}

export function hasBody(headers) {
  const cl = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0');
}

/** `node x.mjs [port] [upstream]`, falling back to PORT / UPSTREAM_URL; port 0 picks a free one. */
export function cliArgs({ needUpstream }) {
  const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
  const upstream = process.argv[3] ?? process.env.UPSTREAM_URL;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`bad port: ${process.argv[2] ?? process.env.PORT}`);
  }
  if (needUpstream && !upstream) throw new Error('usage: node <proxy>.mjs <port> <http://127.0.0.1:upstream-port>');
  return { port, host: process.env.HOST ?? '127.0.0.1', upstream: upstream && new URL(upstream) };
}

/** A bare 502 for the baselines: the benchmark expects zero of them, so no problem+json finesse. */
export function badGateway(res, err) {
  if (res.headersSent) {
    res.destroy(err);
    return;
  }
  res.writeHead(502, { 'content-type': 'text/plain', 'content-length': '12' });
  res.end('bad gateway\n');
}

/** The run script waits for this exact shape on stdout to learn the port. */
export function announce(name, server) {
  const { address, port } = server.address();
  process.stdout.write(`${name} listening on ${address}:${port}\n`);
}

export function exitOnSignals(server) {
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections?.();
    setTimeout(() => process.exit(0), 500).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // run.mjs holds our stdin open; if it dies without cleaning up (SIGKILL), EOF here keeps us from lingering
  // on the port and on the benchmark core.
  if (process.env.BENCH_EXIT_WITH_PARENT === '1') {
    process.stdin.on('end', stop).on('error', stop).resume();
  }
}
