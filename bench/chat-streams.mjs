// Chat streaming benchmark: N concurrent POST /api/v2/chat SSE streams through the gateway with the embedded local
// provider (no model server, no key). Run after a build: `npm run bench:chat`. See bench/README.md.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, numEnv, waitForHealth } from './lib-proc.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const jwt = require('jsonwebtoken');

const STREAMS = numEnv('BENCH_CHAT_STREAMS', 1_000, 1, 20_000);
const TOKEN_DELAY_MS = numEnv('BENCH_CHAT_TOKEN_DELAY_MS', 40, 0, 10_000);
const TIMEOUT_MS = numEnv('BENCH_CHAT_TIMEOUT_MS', 120_000, 1_000, 600_000);
const SECRET = 'bench-secret-bench-secret-bench-secret-0123';

/** Resident set size of a process in bytes, from /proc (Linux). */
function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** One chat stream: times the first delta and the end, checks the framing (deltas, then exactly one done). */
function chatStream(agent, port, i) {
  return new Promise((resolve) => {
    const started = performance.now();
    const token = jwt.sign({ sub: `bench-user-${i}` }, SECRET, { algorithm: 'HS256', expiresIn: 3_600 });
    const body = JSON.stringify({ message: `Benchmark message number ${i}: tell me about the harbour.` });
    const out = { ok: false, firstMs: undefined, totalMs: undefined, deltas: 0, error: undefined };
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/v2/chat',
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'text/event-stream',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        if (res.statusCode !== 200) {
          out.error = `status ${res.statusCode}`;
          res.resume();
          res.on('end', () => resolve(out));
          return;
        }
        let buf = '';
        let done = 0;
        let failed = false;
        res.setEncoding('utf8');
        res.on('data', (d) => {
          buf += d;
          let k;
          while ((k = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, k);
            buf = buf.slice(k + 2);
            if (block.startsWith('event: delta')) {
              if (out.deltas++ === 0) out.firstMs = performance.now() - started;
            } else if (block.startsWith('event: done')) done++;
            else if (block.startsWith('event: error')) failed = true;
          }
        });
        res.on('end', () => {
          out.totalMs = performance.now() - started;
          out.ok = !failed && done === 1 && out.deltas > 0;
          if (!out.ok) out.error = failed ? 'error event' : `done x${done}, ${out.deltas} deltas`;
          resolve(out);
        });
        res.on('error', (err) => ((out.error = err.message), resolve(out)));
      },
    );
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error('timeout')));
    req.on('error', (err) => ((out.error = err.message), resolve(out)));
    req.end(body);
  });
}

const pct = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
const mib = (b) => (b === undefined ? 'n/a' : `${(b / 1_048_576).toFixed(0)} MiB`);

async function main() {
  const port = await freePort();
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    JWT_SECRET: SECRET,
    RATE_LIMIT: 'off',
    // Every stream is generated: the AI cache would answer repeats without the provider.
    CACHE_ENABLED: 'false',
    LLM_PROVIDER: 'local',
    LLM_LOCAL_TOKEN_DELAY_MS: String(TOKEN_DELAY_MS),
    LEGACY_URL: 'http://127.0.0.1:9',
  };
  const gateway = spawn(process.execPath, [path.join(ROOT, 'dist/main.js')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  gateway.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4_000)));
  const stop = () => gateway.exitCode === null && gateway.kill('SIGTERM');
  process.once('SIGINT', () => (stop(), process.exit(130)));
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitForHealth(url, gateway, 20_000);
    // One warm-up stream: JIT, module init, first JWT key import.
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    await chatStream(agent, port, -1);
    await new Promise((r) => setTimeout(r, 500));
    const idleRss = rssOf(gateway.pid);

    let peakRss = idleRss ?? 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssOf(gateway.pid) ?? 0)), 50);
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: STREAMS }, (_, i) => chatStream(agent, port, i)));
    const wallMs = performance.now() - started;
    clearInterval(sampler);
    const afterRss = rssOf(gateway.pid);

    const ok = results.filter((r) => r.ok);
    const failures = results.filter((r) => !r.ok);
    const first = ok.map((r) => r.firstMs).sort((a, b) => a - b);
    const total = ok.map((r) => r.totalMs).sort((a, b) => a - b);
    const deltas = ok.reduce((n, r) => n + r.deltas, 0);
    const summary = {
      streams: STREAMS,
      completed: ok.length,
      failed: failures.length,
      failureSamples: [...new Set(failures.map((f) => f.error))].slice(0, 5),
      tokenDelayMs: TOKEN_DELAY_MS,
      wallSeconds: +(wallMs / 1000).toFixed(2),
      deltasPerSecond: Math.round(deltas / (wallMs / 1000)),
      firstDeltaMs: {
        p50: Math.round(pct(first, 50)),
        p95: Math.round(pct(first, 95)),
        max: Math.round(first.at(-1) ?? NaN),
      },
      streamMs: {
        p50: Math.round(pct(total, 50)),
        p95: Math.round(pct(total, 95)),
        max: Math.round(total.at(-1) ?? NaN),
      },
      gatewayRssBytes: { idle: idleRss, peak: peakRss, after: afterRss },
      node: process.version,
    };
    console.log(
      `chat streams: ${ok.length}/${STREAMS} completed (deltas then one done), ${failures.length} failed, in ${summary.wallSeconds} s`,
    );
    console.log(
      `  first delta  p50 ${summary.firstDeltaMs.p50} ms  p95 ${summary.firstDeltaMs.p95} ms  max ${summary.firstDeltaMs.max} ms`,
    );
    console.log(
      `  whole stream p50 ${summary.streamMs.p50} ms  p95 ${summary.streamMs.p95} ms  max ${summary.streamMs.max} ms  (${TOKEN_DELAY_MS} ms between tokens)`,
    );
    console.log(
      `  ${summary.deltasPerSecond} deltas/s; gateway RSS idle ${mib(idleRss)}, peak ${mib(peakRss)}, after ${mib(afterRss)}`,
    );
    if (failures.length) console.log(`  failures: ${summary.failureSamples.join('; ')}`);
    mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
    const file = path.join(ROOT, 'bench/results', `chat-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(summary, null, 2));
    console.log(`  results: ${path.relative(ROOT, file)}`);
    process.exitCode = failures.length ? 1 : 0;
  } catch (err) {
    console.error(`bench:chat failed: ${err.message}\n${stderr}`);
    process.exitCode = 1;
  } finally {
    stop();
  }
}

await main();
