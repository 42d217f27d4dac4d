// Profile mode: where does one gateway configuration spend its CPU per request? Starts the bench upstream and
// one gateway (your environment plus the bench's plain-gateway settings), pinned like `npm run bench` when taskset
// allows, drives BENCH_PROFILE_REQUESTS requests (default 100,000, after 20,000 unmeasured) through it with
// autocannon, and prints the gateway's CPU per request from /proc. With BENCH_PROFILE_CPU=1 the gateway runs under
// `--cpu-prof` and the top self-time functions are printed; the profile is kept in bench/results/.
// `node bench/profile.mjs diff A.cpuprofile B.cpuprofile` prints what B spends more than A, per function.
// BENCH_PROFILE_NODE_FLAGS passes flags to the gateway's node (e.g. "--trace-gc"; its output goes to the terminal).
// BENCH_PROFILE_PATH profiles another path (e.g. /api/v1/bench-cacheable for cache hits).
// Example, the price of tracing:
//   BENCH_PROFILE_CPU=1 node bench/profile.mjs
//   BENCH_PROFILE_CPU=1 OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 node bench/profile.mjs   (a collector or sink)
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { CLK_TCK, freePort, readProcStat, waitForHealth } from './lib-proc.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Self time per function (or per package with `byPackage`) in ms, from a .cpuprofile. */
function selfTimes(file, byPackage = false) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
  const out = new Map();
  prof.samples.forEach((id, i) => {
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    const where = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/');
    const pkg = /^((@[^/]+\/)?[^/]+)\//.exec(where)?.[1];
    const key = byPackage
      ? (pkg ?? (where || functionName))
      : `${functionName || '(anonymous)'} ${where}:${lineNumber}`;
    out.set(key, (out.get(key) ?? 0) + (prof.timeDeltas[i] ?? 0) / 1000);
  });
  return out;
}

function printTop(rows, n) {
  for (const [key, ms] of rows.slice(0, n)) console.log(`${ms.toFixed(0).padStart(8)} ms  ${key}`);
}

if (process.argv[2] === 'diff') {
  const [a, b] = [selfTimes(process.argv[3]), selfTimes(process.argv[4])];
  const keys = new Set([...a.keys(), ...b.keys()]);
  printTop(
    [...keys].map((k) => [k, (b.get(k) ?? 0) - (a.get(k) ?? 0)]).sort((x, y) => y[1] - x[1]),
    40,
  );
  process.exit(0);
}

const REQUESTS = Number(process.env.BENCH_PROFILE_REQUESTS ?? 100_000);
const WARMUP = 20_000;
const cpuProfile = process.env.BENCH_PROFILE_CPU === '1';
const pinned = spawnSync('taskset', ['-c', '1', 'true']).status === 0 && os.availableParallelism() >= 2;
const pin = (cpu, cmd, args) => (pinned ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args]);
const children = [];
const start = (cpu, cmd, args, env) => {
  const [file, argv] = pin(cpu, cmd, args);
  const child = spawn(file, argv, { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
  children.push(child);
  return child;
};
const stopAll = () => children.forEach((c) => c.exitCode === null && c.kill('SIGTERM'));
process.on('SIGINT', () => (stopAll(), process.exit(130)));

const upPort = await freePort();
start(1, process.execPath, ['bench/upstream.mjs', String(upPort)], process.env);
const gwPort = await freePort();
const profDir = path.join(ROOT, 'bench', 'results', `profile-${process.pid}`);
if (cpuProfile) mkdirSync(profDir, { recursive: true });
// BENCH_PROFILE_NODE_FLAGS: more V8/Node flags for the gateway (e.g. --trace-gc, which NODE_OPTIONS refuses).
const extraFlags = (process.env.BENCH_PROFILE_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
const gateway = start(
  1,
  process.execPath,
  [...extraFlags, ...(cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), 'dist/main.js'],
  {
    ...process.env,
    PORT: String(gwPort),
    HOST: '127.0.0.1',
    LEGACY_URL: `http://127.0.0.1:${upPort}`,
    LOG_LEVEL: 'warn',
    RATE_LIMIT: process.env.RATE_LIMIT ?? 'off',
    CACHE_ENABLED: process.env.CACHE_ENABLED ?? 'false',
  },
);
// taskset execs the command, so gateway.pid is the gateway's own process.
// BENCH_PROFILE_PATH: another path of the bench upstream, e.g. /api/v1/bench-cacheable (cache hits with CACHE_ENABLED=true).
const url = `http://127.0.0.1:${gwPort}${process.env.BENCH_PROFILE_PATH ?? '/api/v1/bench'}`;
await waitForHealth(`http://127.0.0.1:${gwPort}`, gateway);
const ticks = () => readProcStat(gateway.pid).ticks;
const run = (amount) => autocannon({ url, connections: 50, amount });
await run(WARMUP);
const t0 = ticks();
const started = performance.now();
const result = await run(REQUESTS);
const seconds = (performance.now() - started) / 1000;
const cpuUs = ((ticks() - t0) * 1e6) / CLK_TCK / REQUESTS;
console.log(
  `${REQUESTS} requests: ${(REQUESTS / seconds).toFixed(0)} req/s, gateway ${cpuUs.toFixed(1)} µs CPU per request, ` +
    `${result.non2xx} non-2xx, ${result.errors} errors${pinned ? ' (gateway and upstream on CPU 1)' : ''}`,
);
gateway.kill('SIGTERM');
await new Promise((r) => gateway.once('exit', r));
stopAll();
if (cpuProfile) {
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  const kept = path.join(
    ROOT,
    'bench',
    'results',
    `gateway-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`,
  );
  renameSync(path.join(profDir, file), kept);
  rmSync(profDir, { recursive: true, force: true });
  console.log(`\nself time by package (the whole run, start-up included):`);
  printTop(
    [...selfTimes(kept, true)].sort((x, y) => y[1] - x[1]),
    15,
  );
  console.log(`\nprofile: ${path.relative(ROOT, kept)}  (compare two: node bench/profile.mjs diff A B)`);
}
