// Streams mode: how much memory does one idle SSE stream cost the gateway? Opens BENCH_STREAMS (10,000) legacy SSE
// streams through the gateway, holds them, and reports the gateway's resident memory per stream, plus how fast
// /health answers meanwhile. Usage: npm run bench:streams   (BENCH_STREAMS=2000 for a quick run)
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePort, rssMiB, sleep, waitForHealth } from './lib-proc.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const N = Number(process.env.BENCH_STREAMS ?? 10_000);
const HOLD_S = Number(process.env.BENCH_HOLD ?? 10);
const BATCH = 250;

// The stand-in legacy SSE endpoint: opens each stream with a comment, then stays quiet (a heartbeat every 15 s).
const upstream = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(': open\n\n');
  const beat = setInterval(() => res.write(': beat\n\n'), 15_000);
  res.on('close', () => clearInterval(beat));
});
upstream.keepAliveTimeout = 0;
upstream.maxConnections = 0;
await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
const upPort = upstream.address().port;

const gwPort = await freePort();
const gateway = spawn(process.execPath, ['dist/main.js'], {
  cwd: ROOT,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: String(gwPort),
    HOST: '127.0.0.1',
    LEGACY_URL: `http://127.0.0.1:${upPort}`,
    LOG_LEVEL: 'warn',
    ACCESS_LOG: 'false',
    RATE_LIMIT: 'off',
    CACHE_ENABLED: 'false',
    // Each open stream holds one upstream connection for its lifetime: the pool must be as large as the streams.
    UPSTREAM_CONNECTIONS: String(N + 100),
    MAX_CONNECTIONS: String(N + 1_000),
  },
});
const stop = () => {
  gateway.kill('SIGKILL');
  upstream.closeAllConnections();
  upstream.close();
};
process.on('SIGINT', () => (stop(), process.exit(130)));

async function healthMs() {
  const t0 = performance.now();
  await new Promise((resolve, reject) =>
    http
      .get({ host: '127.0.0.1', port: gwPort, path: '/health', agent: false }, (r) => r.resume().on('end', resolve))
      .on('error', reject),
  );
  return performance.now() - t0;
}

await waitForHealth(`http://127.0.0.1:${gwPort}`, gateway);

function openStream() {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port: gwPort });
    let got = '';
    s.setTimeout(30_000, () => reject(new Error('stream did not open')));
    s.on('error', reject);
    s.on('connect', () => s.write('GET /api/v1/stream HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n'));
    s.on('data', function first(d) {
      got += d.toString('latin1');
      if (got.includes(': open')) {
        s.off('data', first);
        s.setTimeout(0);
        resolve(s);
      }
    });
  });
}

await sleep(1_000);
const before = rssMiB(gateway.pid);
const t0 = performance.now();
const sockets = [];
let failed = 0;
for (let i = 0; i < N; i += BATCH) {
  const batch = await Promise.allSettled(Array.from({ length: Math.min(BATCH, N - i) }, openStream));
  for (const r of batch) {
    if (r.status === 'fulfilled') sockets.push(r.value);
    else failed++;
  }
}
const openS = (performance.now() - t0) / 1000;
await sleep(HOLD_S * 1_000);
const held = rssMiB(gateway.pid);
const health = [];
for (let i = 0; i < 20; i++) health.push(await healthMs());
const alive = sockets.filter((s) => !s.destroyed).length;
for (const s of sockets) s.destroy();
await sleep(3_000);
const after = rssMiB(gateway.pid);
stop();

health.sort((a, b) => a - b);
const perStream = ((held - before) * 1024) / Math.max(1, alive);
console.log(
  `streams opened: ${sockets.length}/${N} in ${openS.toFixed(1)} s (${failed} failed), still open after ${HOLD_S} s: ${alive}`,
);
console.log(
  `gateway RSS: ${before.toFixed(0)} MiB before, ${held.toFixed(0)} MiB holding them, ${after.toFixed(0)} MiB 3 s after closing`,
);
console.log(`memory per idle stream: ${perStream.toFixed(1)} KiB (client socket, upstream socket, request state)`);
console.log(`/health while holding them: p50 ${health[10].toFixed(1)} ms, max ${health.at(-1).toFixed(1)} ms`);
process.exit(failed || alive < sockets.length ? 1 : 0);
