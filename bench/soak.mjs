// Soak mode: does the gateway's memory drift under steady load? Sends BENCH_SOAK_RATE requests/s (default 1,000)
// through the gateway for BENCH_SOAK_S seconds (default 600) with the default features on (rate limiter, cache
// lookups), samples its resident memory and heap every 30 s, and reports the drift between the first and the last
// samples after warm-up. Usage: npm run bench:soak
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { freePort, rssMiB, sleep, waitForHealth } from './lib-proc.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RATE = Number(process.env.BENCH_SOAK_RATE ?? 1_000);
const SECONDS = Number(process.env.BENCH_SOAK_S ?? 600);
const SAMPLE_S = 30;

const upstream = spawn(process.execPath, ['bench/upstream.mjs', String(await freePort())], {
  cwd: ROOT,
  stdio: ['ignore', 'pipe', 'inherit'],
});
const upUrl = await new Promise((resolve) => {
  let out = '';
  upstream.stdout.on('data', (d) => {
    out += d;
    const m = /listening on ([\d.]+):(\d+)/.exec(out);
    if (m) resolve(`http://${m[1]}:${m[2]}`);
  });
});
const gwPort = await freePort();
const gateway = spawn(process.execPath, ['dist/main.js'], {
  cwd: ROOT,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: String(gwPort),
    HOST: '127.0.0.1',
    LEGACY_URL: upUrl,
    LOG_LEVEL: 'warn',
    // The defaults' work per request (limiter, cache lookup), with a limit the single load address never reaches.
    RATE_LIMIT: '1000000000/1s',
  },
});
const stop = () => {
  gateway.kill('SIGKILL');
  upstream.kill('SIGKILL');
};
process.on('SIGINT', () => (stop(), process.exit(130)));

const metric = async (name) => {
  const text = await new Promise((resolve, reject) =>
    http
      .get({ host: '127.0.0.1', port: gwPort, path: '/metrics', agent: false }, (r) => {
        let b = '';
        r.setEncoding('utf8');
        r.on('data', (d) => (b += d));
        r.on('end', () => resolve(b));
      })
      .on('error', reject),
  );
  return Number(new RegExp(`^${name} ([0-9.e+]+)$`, 'm').exec(text)?.[1] ?? NaN);
};

await waitForHealth(`http://127.0.0.1:${gwPort}`, gateway);

const load = spawn(
  process.execPath,
  [
    fileURLToPath(new URL('../node_modules/autocannon/autocannon.js', import.meta.url)),
    '-c',
    '20',
    '-R',
    String(RATE),
    '-d',
    String(SECONDS),
    '-j',
    `http://127.0.0.1:${gwPort}/api/v1/bench`,
  ],
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] },
);
let report = '';
load.stdout.on('data', (d) => (report += d));
const loadDone = new Promise((r) => load.on('exit', r));

const samples = [];
const t0 = Date.now();
while (Date.now() - t0 < SECONDS * 1000) {
  await sleep(SAMPLE_S * 1000);
  const s = {
    t: Math.round((Date.now() - t0) / 1000),
    rss: rssMiB(gateway.pid),
    heap: (await metric('nodejs_heap_size_used_bytes')) / 2 ** 20,
  };
  samples.push(s);
  console.log(`t=${String(s.t).padStart(4)} s  rss ${s.rss.toFixed(1)} MiB  heap used ${s.heap.toFixed(1)} MiB`);
}
await loadDone;
stop();

const r = JSON.parse(report);
// The first two samples are warm-up (JIT, pools filling); drift is measured from the third on.
const base = samples[Math.min(2, samples.length - 1)];
const last = samples.at(-1);
const minutes = (last.t - base.t) / 60;
console.log(
  `requests: ${r.requests.total} (${r.non2xx} non-2xx, ${r.errors} errors), ${r.requests.average} req/s, p99 ${r.latency.p99} ms`,
);
console.log(
  `drift from t=${base.t} s to t=${last.t} s: rss ${(last.rss - base.rss).toFixed(1)} MiB (${((last.rss - base.rss) / Math.max(minutes, 1e-9)).toFixed(2)} MiB/min), ` +
    `heap used ${(last.heap - base.heap).toFixed(1)} MiB`,
);
process.exit(r.errors || r.non2xx ? 1 : 0);
