// Load benchmark: the gateway against a direct upstream, two minimal Node proxies and nginx, on one machine.
// Run after a build: `npm run bench` (or `npm run build && node bench/run.mjs`). See bench/README.md.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLK_TCK, freePort, median, numEnv, planPinning, readProcStat, startOtlpSink } from './lib-proc.mjs';
import autocannon from 'autocannon';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..');
const BENCH_PATH = '/api/v1/bench';
const require = createRequire(import.meta.url);

// ---------------------------------------------------------------------------------------------- settings

const UNREACHABLE_RATE_LIMIT = '1000000000/1s';

const REDIS_TARGETS = ['gateway-redis-limit', 'gateway-redis-cache', 'gateway-redis', 'gateway-redis-hit'];
const ALL_TARGETS = [
  'direct',
  'node',
  'undici',
  'undici-stream',
  'nginx',
  'gateway',
  'gateway-defaults',
  ...REDIS_TARGETS,
  'gateway-cache-hit',
  'gateway-jwt',
  'gateway-otel',
];
// undici-stream is opt-in: it is not a baseline the gateway is held to, but a what-if for its forwarder.
// gateway-otel is opt-in: it prices tracing, which deployments turn on by pointing it at a collector.
// The Redis rows are opt-in (they need redis-server), and the default of `--features` (npm run bench:features).
const OPT_IN = new Set(['undici-stream', 'gateway-otel', ...REDIS_TARGETS]);
const DEFAULT_TARGETS = ALL_TARGETS.filter((t) => !OPT_IN.has(t));
// `--features`: what the limiter and the cache cost, in memory and with Redis, against the raw Node proxy.
const FEATURE_TARGETS = [
  'direct',
  'node',
  'nginx',
  'gateway',
  'gateway-defaults',
  ...REDIS_TARGETS,
  'gateway-cache-hit',
];

function gitCommit() {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  if (head.status !== 0) return null;
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' });
  return `${head.stdout.trim()}${dirty.stdout.trim() ? '+' : ''}`;
}

function parseSettings() {
  const features = process.argv.includes('--features');
  const targets = (process.env.BENCH_TARGETS || (features ? FEATURE_TARGETS : DEFAULT_TARGETS).join(','))
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const unknown = targets.filter((t) => !ALL_TARGETS.includes(t));
  if (unknown.length)
    throw new Error(`BENCH_TARGETS: unknown ${unknown.join(', ')} (known: ${ALL_TARGETS.join(', ')})`);
  return {
    duration: Math.round(numEnv('BENCH_DURATION', 10, 1, 600)),
    connections: Math.round(numEnv('BENCH_CONNECTIONS', 50, 1, 10_000)),
    warmup: numEnv('BENCH_WARMUP', features ? 5 : 2, 0, 60),
    rounds: Math.round(numEnv('BENCH_ROUNDS', features ? 3 : 1, 1, 50)),
    pipelining: 1,
    targets: ALL_TARGETS.filter((t) => targets.includes(t)),
    features,
    // After each saturating run, a run at this fixed request rate (0: none) for latency at a moderate load.
    fixed: {
      rate: Math.round(numEnv('BENCH_FIXED_RATE', features ? 1000 : 0, 0, 1_000_000)),
      duration: Math.round(numEnv('BENCH_FIXED_S', 5, 1, 600)),
      warmup: 2,
      connections: Math.round(numEnv('BENCH_FIXED_CONNECTIONS', 10, 1, 10_000)),
      pipelining: 1,
    },
  };
}

// ----------------------------------------------------------------------------------------- child control

const children = new Set();

function startChild(
  name,
  cmd,
  args,
  { pin, env = process.env, cwd = ROOT, stdin = 'ignore', cpu = pin.serverCpu } = {},
) {
  const [file, argv] = pin.enabled ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, { cwd, env, stdio: [stdin, 'pipe', 'pipe'] });
  child.benchName = name;
  child.logTail = [];
  const keep = (chunk) => {
    // Bounded: a child that logs per request must not grow this process's heap during a run.
    child.logTail.push(...chunk.toString().split('\n').filter(Boolean));
    if (child.logTail.length > 40) child.logTail.splice(0, child.logTail.length - 40);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
    child.once('error', (err) => {
      children.delete(child);
      child.logTail.push(String(err.message));
      resolve({ code: null, signal: null, error: err });
    });
  });
  children.add(child);
  return child;
}

function describeExit(child) {
  const tail = child.logTail.slice(-10).join('\n    ');
  return `${child.benchName} exited early${tail ? `:\n    ${tail}` : ''}`;
}

function waitForPortLine(child, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`${child.benchName} did not announce a port in ${timeoutMs} ms`)),
      timeoutMs,
    );
    let buf = '';
    const onData = (chunk) => {
      buf += chunk.toString();
      const m = /listening on [\d.]+:(\d+)/.exec(buf);
      if (m) done(null, Number(m[1]));
    };
    const onExit = () => done(new Error(describeExit(child)));
    function done(err, port) {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(port);
    }
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  });
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = new Promise((r) => setTimeout(r, 3000, 'timeout'));
  if ((await Promise.race([child.exited, timer])) === 'timeout') {
    child.kill('SIGKILL');
    await child.exited;
  }
}

// ------------------------------------------------------------------------------------------------- HTTP

function getOnce(port, urlPath, timeoutMs = 2000, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: urlPath, agent: false, timeout: timeoutMs, headers },
      (res) => {
        const parts = [];
        res.on('data', (c) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function waitForHttp(name, port, urlPath, timeoutMs, child) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) throw new Error(describeExit(child));
    try {
      const r = await getOnce(port, urlPath, 1000);
      if (r.status === 200) return;
      last = `HTTP ${r.status}`;
    } catch (err) {
      last = err.code ?? err.message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} not ready on :${port}${urlPath} after ${timeoutMs} ms (${last})`);
}

// -------------------------------------------------------------------------------------------- CPU time

/**
 * utime+stime of a process and its descendants, in clock ticks. A child's CPU is invisible to
 * process.cpuUsage(), and nginx does its work in a worker forked by the master we spawned.
 */
function treeTicks(rootPid) {
  if (!rootPid || !existsSync('/proc')) return null;
  const stats = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = readProcStat(d);
    if (st) stats.set(Number(d), st);
  }
  if (!stats.has(rootPid)) return null;
  const inTree = new Set([rootPid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, st] of stats) {
      if (!inTree.has(pid) && inTree.has(st.ppid)) {
        inTree.add(pid);
        grew = true;
      }
    }
  }
  let ticks = 0;
  for (const pid of inTree) ticks += stats.get(pid).ticks;
  return ticks;
}

/** Machine-wide ticks from /proc/stat: busy in user/system (any process), and stolen by the hypervisor. */
function machineTicks() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { busy: f[0] + f[1] + f[2], steal: f[7] ?? 0 };
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------------------------------------ nginx

function findNginx() {
  if (process.env.BENCH_NGINX) return existsSync(process.env.BENCH_NGINX) ? process.env.BENCH_NGINX : null;
  // An unprivileged PATH often lacks the sbin directories that Debian installs nginx into.
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin'];
  for (const d of dirs) {
    const p = path.join(d || '.', 'nginx');
    if (existsSync(p)) return p;
  }
  return null;
}

function nginxVersion(bin) {
  const r = spawnSync(bin, ['-v'], { encoding: 'utf8' });
  return ((r.stderr || r.stdout || '').match(/nginx\/\S+/) ?? ['unknown'])[0];
}

function writeNginxConf(dir, port, upstreamPort) {
  for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
    mkdirSync(path.join(dir, `${t}_temp`), { recursive: true });
  const conf = `# Generated by bench/run.mjs; lives in a temp dir so nginx runs unprivileged on a free port.
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body_temp;
  proxy_temp_path ${dir}/proxy_temp;
  fastcgi_temp_path ${dir}/fastcgi_temp;
  uwsgi_temp_path ${dir}/uwsgi_temp;
  scgi_temp_path ${dir}/scgi_temp;
  # nginx closes a keep-alive connection after 1000 requests by default on both sides; the Node servers in the
  # other rows never do, so a cap here would charge nginx for reconnects that no other row pays.
  keepalive_requests 1000000;
  upstream legacy {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://legacy;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
  const file = path.join(dir, 'nginx.conf');
  writeFileSync(file, conf);
  return file;
}

// --------------------------------------------------------------------------------------------- measuring

function percentile(sorted, q) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Ticks of the proxy tree, the upstream and the machine, plus this process's CPU, at one instant. */
function snapshot(pids) {
  return {
    proxy: treeTicks(pids.proxy),
    upstream: treeTicks(pids.upstream),
    redis: pids.redis ? treeTicks(pids.redis) : null,
    machine: machineTicks(),
    client: process.cpuUsage(),
    at: performance.now(),
  };
}

/**
 * One autocannon run of warm-up + duration seconds, of which only the last `duration` count. A separate warm-up
 * run would not do: every fresh autocannon instance ramps up over its first half second or so (new connections,
 * all 50 starting in lockstep), even against a warm server, and that dip would land in the measurement.
 */
async function runMeasured(port, settings, pids, urlPath = BENCH_PATH, headers = undefined) {
  const inst = autocannon({
    url: `http://127.0.0.1:${port}${urlPath}`,
    headers,
    connections: settings.connections,
    pipelining: settings.pipelining,
    duration: settings.warmup + settings.duration,
    timeout: 10,
    ...(settings.rate ? { overallRate: settings.rate } : {}),
  });
  let before = settings.warmup > 0 ? null : snapshot(pids);
  const timer = settings.warmup > 0 ? setTimeout(() => (before = snapshot(pids)), settings.warmup * 1000) : null;
  // autocannon's histogram keeps whole milliseconds and cannot be split at the warm-up boundary; its
  // per-response times are floats, so percentiles come from these instead.
  const lat = [];
  const perSecond = [];
  const statuses = {};
  inst.on('response', (_client, status, _bytes, ms) => {
    if (!before) return;
    lat.push(ms);
    const s = Math.floor((performance.now() - before.at) / 1000);
    perSecond[s] = (perSecond[s] ?? 0) + 1;
    statuses[status] = (statuses[status] ?? 0) + 1;
  });
  const result = await inst;
  const after = snapshot(pids);
  clearTimeout(timer);
  if (!before) throw new Error('the run ended before its warm-up did');
  return { result, before, after, lat, perSecond: Array.from(perSecond, (v) => v ?? 0), statuses };
}

async function measure(row, port, settings, pids) {
  const urlPath = row.path ?? BENCH_PATH;
  const pre = await getOnce(port, urlPath, 2000, row.headers);
  row.preflight = { status: pre.status, bytes: pre.body.length };
  if (pre.status !== 200) throw new Error(`${row.label} answered ${pre.status} to ${urlPath} before the run`);
  if (row.expectBody && !pre.body.equals(row.expectBody)) {
    throw new Error(`${row.label} returned a body that differs from the upstream's (${pre.body.length} bytes)`);
  }

  const { result, before, after, lat, perSecond, statuses } = await runMeasured(
    port,
    settings,
    pids,
    urlPath,
    row.headers,
  );
  const wallS = (after.at - before.at) / 1000;
  const total = lat.length;
  const perReqUs = (b, a) => (b == null || a == null || !total ? null : ((a - b) * 1e6) / CLK_TCK / total);
  const clientUs = after.client.user - before.client.user + (after.client.system - before.client.system);
  // autocannon stops a little after the last whole second, so the final bucket is partial and left out.
  const samples = perSecond.slice(0, Math.floor(wallS));
  const sorted = Float64Array.from(lat).sort();
  const non2xx = Object.entries(statuses).reduce((n, [code, count]) => n + (code >= 200 && code < 300 ? 0 : count), 0);
  Object.assign(row, {
    requests: total,
    wallSeconds: round(wallS, 2),
    rps: round(total / wallS, 0),
    rpsStddev: round(stddev(samples), 0),
    rpsPerSecond: samples,
    latencyMs: {
      mean: round(sorted.reduce((s, v) => s + v, 0) / (total || 1), 3),
      p50: round(percentile(sorted, 0.5), 3),
      p90: round(percentile(sorted, 0.9), 3),
      p99: round(percentile(sorted, 0.99), 3),
      max: round(sorted[total - 1] ?? null, 3),
    },
    // Connection-level failures are only counted by autocannon, over the whole run; a failure during
    // warm-up is as much a bug as one during measurement, so they are not split.
    errors: result.errors,
    timeouts: result.timeouts,
    resets: result.resets,
    non2xx,
    statusCodes: statuses,
    wholeRun: {
      requests: result.requests.total,
      non2xx: result.non2xx,
      statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([k, v]) => [k, v.count])),
    },
    cpuUsPerRequest: {
      proxy: round(perReqUs(before.proxy, after.proxy), 1),
      upstream: round(perReqUs(before.upstream, after.upstream), 1),
      redis: round(perReqUs(before.redis, after.redis), 1),
    },
    clientCpuPercent: round((clientUs / 1e6 / wallS) * 100, 0),
  });
  // Other engineers' test suites and the VM's neighbours share this machine; a row measured while they were
  // busy is slower for reasons that have nothing to do with its code. Softirq time (loopback TCP) is left out,
  // since most of it is our own traffic and no process is charged for it.
  if (before.machine && after.machine) {
    const ours = [after.proxy - before.proxy, after.upstream - before.upstream, after.redis - before.redis]
      .filter(Number.isFinite)
      .reduce((a, b) => a + b, 0);
    const pct = (ticks) => round((ticks / (wallS * CLK_TCK)) * 100, 0);
    row.otherCpuPercent = Math.max(
      0,
      pct(after.machine.busy - before.machine.busy - ours - (clientUs / 1e6) * CLK_TCK),
    );
    row.stealPercent = pct(after.machine.steal - before.machine.steal);
  }
  row.trend = trendOf(row.rpsPerSecond);
  const wholeNon2xx = result.non2xx;
  row.ok = row.errors === 0 && row.timeouts === 0 && row.resets === 0 && non2xx === 0 && wholeNon2xx === 0 && total > 0;
}

/**
 * Latency at a fixed, moderate request rate (autocannon's `overallRate` over BENCH_FIXED_CONNECTIONS connections),
 * right after the saturating run, in the same warm process: what a request pays when nothing queues. The
 * saturating run's p50/p99 are mostly connections / throughput; these are the added latency a client would see.
 */
async function measureFixed(row, port, settings, pids) {
  const f = settings.fixed;
  const { result, before, after, lat } = await runMeasured(port, f, pids, row.path ?? BENCH_PATH, row.headers);
  const sorted = Float64Array.from(lat).sort();
  const wallS = (after.at - before.at) / 1000;
  const errors = result.errors + result.timeouts + result.resets;
  row.fixed = {
    rate: f.rate,
    rps: round(lat.length / wallS, 0),
    p50: round(percentile(sorted, 0.5), 3),
    p90: round(percentile(sorted, 0.9), 3),
    p99: round(percentile(sorted, 0.99), 3),
    errors,
    // Over the whole run, warm-up included, like the saturating run's errors.
    non2xx: result.non2xx,
  };
  if (errors || row.fixed.non2xx || !lat.length) row.ok = false;
}

function stddev(values) {
  if (values.length < 2) return null;
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
}

/**
 * Second half over first half of the per-second throughput. A row whose code V8 was still optimising (the
 * gateway's much larger code path takes longer than a bare proxy) climbs through its run, which a fixed warm-up
 * can miss; a row that something else disturbed dips instead.
 */
function trendOf(perSecond) {
  if (perSecond.length < 4) return null;
  const [first, second] = halves(perSecond);
  return first > 0 ? round(second / first, 3) : null;
}

function round(v, digits) {
  if (v == null || !Number.isFinite(v)) return null;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

// ------------------------------------------------------------------------------------------------ output

function fmt(v, digits = 0) {
  return v == null
    ? 'n/a'
    : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function printTable(rows) {
  const head = [
    'target',
    'req/s',
    '±sd',
    'p50 ms',
    'p99 ms',
    'errors',
    'non-2xx',
    'proxy µs/req',
    'upstr µs/req',
    'client CPU',
    'other CPU',
    'steal',
  ];
  const body = rows.map((r) =>
    r.skipped || r.failed
      ? [r.label, r.skipped ? `skipped: ${r.skipped}` : `FAILED: ${r.failed}`]
      : [
          r.ok ? r.label : `${r.label} (!)`,
          fmt(r.rps),
          fmt(r.rpsStddev),
          fmt(r.latencyMs.p50, 2),
          fmt(r.latencyMs.p99, 2),
          fmt(r.errors + r.timeouts + r.resets),
          fmt(r.non2xx),
          r.cpuUsPerRequest.proxy == null ? '-' : fmt(r.cpuUsPerRequest.proxy, 1),
          fmt(r.cpuUsPerRequest.upstream, 1),
          `${fmt(r.clientCpuPercent)}%`,
          `${fmt(r.otherCpuPercent)}%`,
          `${fmt(r.stealPercent)}%`,
        ],
  );
  const widths = head.map((h, i) =>
    Math.max(h.length, ...body.filter((b) => b.length > 2).map((b) => String(b[i]).length)),
  );
  const line = (cells) =>
    cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(b.length === 2 ? `${b[0].padEnd(widths[0])}  ${b[1]}` : line(b));
}

function halves(perSecond) {
  const half = Math.floor(perSecond.length / 2);
  const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
  return [mean(perSecond.slice(0, half)), mean(perSecond.slice(perSecond.length - half))];
}

function computeRatios(rows, features = false) {
  const gw = rows.find((r) => r.key === 'gateway' && r.rps != null);
  const node = rows.find((r) => r.key === 'node' && r.rps != null);
  if (features ? !node : !gw) return [];
  const ratio = (a, b, label) => ({
    vs: b.key,
    label,
    rps: round(a.rps / b.rps, 3),
    p99: round(a.latencyMs.p99 / b.latencyMs.p99, 3),
    proxyCpuPerRequest:
      a.cpuUsPerRequest.proxy != null && b.cpuUsPerRequest.proxy
        ? round(a.cpuUsPerRequest.proxy / b.cpuUsPerRequest.proxy, 3)
        : null,
    comparable: a.ok && b.ok,
  });
  // --features: every other row against the raw Node proxy of the same round, the yardstick of the goals (direct
  // and nginx say how far from the ceiling and from a C proxy that yardstick itself is).
  if (features)
    return rows.filter((r) => r.key !== 'node' && r.rps != null).map((r) => ratio(r, node, `${r.ratioName}/raw-node`));
  const baselines = rows
    .filter((r) => !r.key.startsWith('gateway') && r.rps != null)
    .map((r) => ratio(gw, r, `gateway/${r.ratioName}`));
  // Gateway variants are compared with the plain gateway row: the price (or gain) of each feature.
  const variants = rows
    .filter((r) => r.key.startsWith('gateway-') && r.rps != null)
    .map((r) => ratio(r, gw, `${r.ratioName}/gateway`));
  return [...baselines, ...variants];
}

/**
 * One row per target from several interleaved rounds: each figure is the median over the rounds, so one round
 * that a neighbour or an unlucky JIT slowed down moves nothing. A target that failed or was skipped in any round
 * is reported as such; errors are summed, since any error is a finding.
 */
function medianRows(rounds) {
  return rounds[0].map((first, i) => {
    const runs = rounds.map((rows) => rows[i]);
    const bad = runs.find((r) => r.skipped || r.failed || r.rps == null);
    if (bad) return bad;
    const m = (get, digits) => round(median(runs.map(get)), digits);
    const sum = (get) => runs.reduce((n, r) => n + get(r), 0);
    return {
      ...first,
      rps: m((r) => r.rps, 0),
      // The spread between rounds, which is what this mode is for; within-run spread is in the JSON per round.
      rpsStddev: round(stddev(runs.map((r) => r.rps)), 0),
      rpsRounds: runs.map((r) => r.rps),
      latencyMs: {
        p50: m((r) => r.latencyMs.p50, 3),
        p90: m((r) => r.latencyMs.p90, 3),
        p99: m((r) => r.latencyMs.p99, 3),
      },
      cpuUsPerRequest: {
        proxy: m((r) => r.cpuUsPerRequest.proxy, 1),
        upstream: m((r) => r.cpuUsPerRequest.upstream, 1),
        redis: m((r) => r.cpuUsPerRequest.redis, 1),
      },
      clientCpuPercent: m((r) => r.clientCpuPercent, 0),
      otherCpuPercent: m((r) => r.otherCpuPercent, 0),
      stealPercent: m((r) => r.stealPercent, 0),
      errors: sum((r) => r.errors),
      timeouts: sum((r) => r.timeouts),
      resets: sum((r) => r.resets),
      non2xx: sum((r) => r.non2xx),
      trend: null,
      ok: runs.every((r) => r.ok),
      fixed: first.fixed
        ? {
            rate: first.fixed.rate,
            rps: m((r) => r.fixed?.rps, 0),
            p50: m((r) => r.fixed?.p50, 3),
            p90: m((r) => r.fixed?.p90, 3),
            p99: m((r) => r.fixed?.p99, 3),
            errors: sum((r) => r.fixed?.errors ?? 0),
            non2xx: sum((r) => r.fixed?.non2xx ?? 0),
          }
        : undefined,
    };
  });
}

/**
 * Ratios are taken within each round (the two rows ran minutes apart at most, under the same conditions) and
 * then the median over rounds is reported, with every round's figure alongside.
 */
function medianRatios(perRound) {
  return perRound[0].map((first) => {
    const same = perRound.map((ratios) => ratios.find((r) => r.label === first.label)).filter(Boolean);
    const m = (get) => round(median(same.map(get)), 3);
    return {
      ...first,
      rps: m((r) => r.rps),
      p99: m((r) => r.p99),
      proxyCpuPerRequest: m((r) => r.proxyCpuPerRequest),
      rpsRounds: same.map((r) => r.rps),
      comparable: same.every((r) => r.comparable),
    };
  });
}

/**
 * Added latency at the fixed rate: each row's p50 and p99 minus the direct upstream's, in the same round, then the
 * median over rounds.
 */
function fixedLatency(rounds) {
  const perRound = rounds.map((rows) => {
    const direct = rows.find((r) => r.key === 'direct' && r.fixed);
    return rows
      .filter((r) => r.fixed && r.key !== 'direct')
      .map((r) => ({
        key: r.key,
        label: r.label,
        p50: r.fixed.p50,
        p99: r.fixed.p99,
        rps: r.fixed.rps,
        addedP50: direct ? r.fixed.p50 - direct.fixed.p50 : null,
        addedP99: direct ? r.fixed.p99 - direct.fixed.p99 : null,
      }));
  });
  const direct = rounds.map((rows) => rows.find((r) => r.key === 'direct' && r.fixed)?.fixed).filter(Boolean);
  const out = perRound[0].map((first) => {
    const same = perRound.map((rows) => rows.find((r) => r.key === first.key)).filter(Boolean);
    const m = (get) => round(median(same.map(get)), 3);
    return {
      key: first.key,
      label: first.label,
      rps: m((r) => r.rps),
      p50: m((r) => r.p50),
      p99: m((r) => r.p99),
      addedP50: m((r) => r.addedP50),
      addedP99: m((r) => r.addedP99),
    };
  });
  if (direct.length)
    out.unshift({
      key: 'direct',
      label: 'direct upstream',
      rps: round(median(direct.map((d) => d.rps)), 0),
      p50: round(median(direct.map((d) => d.p50)), 3),
      p99: round(median(direct.map((d) => d.p99)), 3),
      addedP50: null,
      addedP99: null,
    });
  return out;
}

function printFixed(rate, rows) {
  if (!rows.length) return;
  console.log(
    `\nat a fixed ${fmt(rate)} req/s (latency a client sees when nothing queues; added = row minus direct upstream, same round)`,
  );
  const w = Math.max(...rows.map((r) => r.label.length));
  console.log(`  ${'target'.padEnd(w)}   req/s   p50 ms   p99 ms   added p50 ms   added p99 ms`);
  for (const r of rows) {
    const added = (v) => (v == null ? '-' : fmt(v, 3)).padStart(13);
    console.log(
      `  ${r.label.padEnd(w)}  ${fmt(r.rps).padStart(6)}  ${fmt(r.p50, 3).padStart(7)}  ${fmt(r.p99, 3).padStart(7)}  ${added(r.addedP50)}  ${added(r.addedP99)}`,
    );
  }
}

function printRatios(ratios) {
  if (!ratios.length) {
    console.log('\nratios: n/a (gateway row or every other row missing)');
    return;
  }
  console.log('\nratios (req/s: higher is better for the gateway; p99 and CPU/request: lower is better)');
  const w = Math.max(...ratios.map((r) => r.label.length));
  for (const r of ratios) {
    const cpu = r.proxyCpuPerRequest == null ? '' : `   proxy CPU/req ${r.proxyCpuPerRequest.toFixed(2)}x`;
    const flag = r.comparable ? '' : '   (!) a row had errors: not comparable';
    const each = r.rpsRounds ? `   (req/s by round: ${r.rpsRounds.map((x) => `${x.toFixed(2)}x`).join(' ')})` : '';
    console.log(`  ${r.label.padEnd(w)}   req/s ${r.rps.toFixed(2)}x   p99 ${r.p99.toFixed(2)}x${cpu}${flag}${each}`);
  }
}

// -------------------------------------------------------------------------------------------------- main

const BENCH_JWT_SECRET = 'bench-secret-bench-secret-bench-secret-0123';

/** routes.yaml for the JWT row: the bench path needs authentication. */
function jwtRoutes(dir) {
  const file = path.join(dir, 'routes-jwt.yaml');
  writeFileSync(file, `routes:\n  - id: bench\n    path: ${BENCH_PATH}\n    target: legacy\n    auth: required\n`);
  return file;
}

const ROWS = {
  direct: { label: 'direct upstream', ratioName: 'direct' },
  node: { label: 'raw node proxy', ratioName: 'raw-node' },
  undici: { label: 'raw undici proxy', ratioName: 'raw-undici' },
  'undici-stream': { label: 'raw undici stream', ratioName: 'raw-undici-stream' },
  nginx: { label: 'nginx', ratioName: 'nginx' },
  // The issue-2 figure: forwarding alone, with the features that cost per request switched off.
  gateway: { label: 'gateway', ratioName: 'gateway', env: { RATE_LIMIT: 'off', CACHE_ENABLED: 'false' } },
  // What a default deployment pays: the limiter on every request (a limit never reached) and a cache lookup per
  // GET; the bench answer states no lifetime, so every request is a MISS.
  'gateway-defaults': {
    label: 'gateway (defaults)',
    ratioName: 'gateway-defaults',
    env: { CACHE_ENABLED: 'true' },
    limiter: true,
  },
  // The same features with the store in Redis (a redis-server of the bench's own), as production runs them. The
  // limiter syncs per RATE_LIMIT_SYNC_MS and the cache skips lookups per CACHE_UNCACHEABLE_TTL_MS from your
  // environment (their defaults unless set), so `RATE_LIMIT_SYNC_MS=0` prices the exact limiter.
  'gateway-redis-limit': {
    label: 'redis: limit',
    ratioName: 'redis-limit',
    env: { CACHE_ENABLED: 'false' },
    limiter: true,
    redis: true,
  },
  'gateway-redis-cache': {
    label: 'redis: cache',
    ratioName: 'redis-cache',
    env: { RATE_LIMIT: 'off', CACHE_ENABLED: 'true' },
    redis: true,
  },
  'gateway-redis': {
    label: 'redis: limit+cache',
    ratioName: 'redis-limit+cache',
    env: { CACHE_ENABLED: 'true' },
    limiter: true,
    redis: true,
  },
  'gateway-redis-hit': {
    label: 'redis: limit+cache HIT',
    ratioName: 'redis-limit+cache-hit',
    env: { CACHE_ENABLED: 'true' },
    limiter: true,
    redis: true,
    path: '/api/v1/bench-cacheable',
  },
  // Answers served from the response cache: the upstream marks this path public, max-age=300.
  // A route with `auth: required`, every request carrying a valid HS256 bearer token (the issue-3 figure).
  'gateway-jwt': {
    label: 'gateway + JWT',
    ratioName: 'gateway-jwt',
    env: { RATE_LIMIT: 'off', CACHE_ENABLED: 'false', JWT_SECRET: BENCH_JWT_SECRET },
    jwt: true,
  },
  'gateway-cache-hit': {
    label: 'gateway cache HIT',
    ratioName: 'gateway-cache-hit',
    env: { RATE_LIMIT: 'off', CACHE_ENABLED: 'true' },
    path: '/api/v1/bench-cacheable',
  },
  // The plain gateway with OpenTelemetry tracing on (server + client span per request, the SDK's defaults:
  // every trace sampled, OTLP http/protobuf, batch export) towards a sink in this process that discards spans.
  'gateway-otel': {
    label: 'gateway + OTel',
    ratioName: 'gateway-otel',
    env: { RATE_LIMIT: 'off', CACHE_ENABLED: 'false' },
    otlp: true,
  },
};

let tmpDir = null;
let cleaning = null;

// ------------------------------------------------------------------------------------------------ redis

/** One command over a fresh socket (RESP); resolves with the first reply line, e.g. `+PONG`. */
function redisCall(port, ...args) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = '';
    sock.setTimeout(2000, () => sock.destroy(new Error('redis: no answer')));
    sock.on('connect', () =>
      sock.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`),
    );
    sock.on('data', (c) => {
      buf += c.toString();
      const end = buf.indexOf('\r\n');
      if (end >= 0) {
        sock.end();
        resolve(buf.slice(0, end));
      }
    });
    sock.on('error', reject);
  });
}

/**
 * The Redis rows' store: a redis-server of its own on a free port, nothing on disk. It runs on the load generator's
 * core (CPU 0 when pinned), since in production Redis is another machine and its CPU is not the gateway's.
 */
async function startRedisServer(pin) {
  if (spawnSync('redis-server', ['--version']).error) return null;
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpDir, 'redis-'));
  const child = startChild(
    'redis-server',
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { pin, cpu: pin.clientCpu },
  );
  const deadline = Date.now() + 5000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(describeExit(child));
    if ((await redisCall(port, 'PING').catch(() => '')) === '+PONG') break;
    if (Date.now() > deadline) throw new Error('redis-server did not answer PING in 5 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  const version =
    (spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.match(/v=(\S+)/) ?? [])[1] ?? 'unknown';
  return { port, url: `redis://127.0.0.1:${port}`, child, version, flush: () => redisCall(port, 'FLUSHALL') };
}

function cleanup() {
  cleaning ??= (async () => {
    await Promise.all([...children].map((c) => stopChild(c).catch(() => c.kill('SIGKILL'))));
    if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
  })();
  return cleaning;
}

function onSignal(signal, code) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping benchmark processes`);
    cleanup().finally(() => process.exit(code));
  });
}
onSignal('SIGINT', 130);
onSignal('SIGTERM', 143);
onSignal('SIGHUP', 129);
// Last resort for paths that skip cleanup (uncaught errors, process.exit elsewhere): 'exit' is synchronous.
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
});

/** Starts one target (unless it is the upstream itself), measures it, stops it; the row says how it went. */
async function runTarget(key, ctx) {
  const { settings, pin, nginxBin, childEnv, gatewayEnv, gatewayMain, upstream, upstreamPort, upstreamUrl, reference } =
    ctx;
  const row = { key, ...ROWS[key], expectBody: reference.body };
  if (row.redis) {
    if (ctx.redis === undefined) ctx.redis = await startRedisServer(pin);
    if (!ctx.redis) {
      console.log('redis-server not found: apt-get install redis-server for the Redis rows');
      row.skipped = 'redis-server not found';
      return row;
    }
    // Each row starts from an empty store: no entry or window of an earlier row helps or hinders it.
    await ctx.redis.flush();
    row.env = { ...row.env, REDIS_URL: ctx.redis.url };
  }
  if (row.otlp) {
    ctx.sink ??= await startOtlpSink();
    // Explicit, so that OTEL_* variables in the caller's shell cannot turn this row into something else.
    row.env = {
      ...row.env,
      OTEL_EXPORTER_OTLP_ENDPOINT: ctx.sink.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_SDK_DISABLED: 'false',
    };
  }
  if (row.jwt) {
    const token = require('jsonwebtoken').sign(
      { sub: 'bench-user', jti: 'bench-jti', fam: 'bench-family' },
      BENCH_JWT_SECRET,
      { algorithm: 'HS256', expiresIn: 3_600 },
    );
    row.headers = { authorization: `Bearer ${token}` };
    row.env = { ...row.env, ROUTES_FILE: jwtRoutes(tmpDir) };
  }
  let child = null;
  try {
    let port;
    if (key === 'direct') {
      port = upstreamPort;
    } else if (key === 'node' || key === 'undici' || key === 'undici-stream') {
      const args =
        key === 'node'
          ? [path.join(BENCH_DIR, 'node-proxy.mjs'), '0', upstreamUrl]
          : [path.join(BENCH_DIR, 'undici-proxy.mjs'), '0', upstreamUrl, key === 'undici' ? 'request' : 'stream'];
      child = startChild(row.label, process.execPath, args, { pin, env: childEnv, stdin: 'pipe' });
      port = await waitForPortLine(child, 5000);
    } else if (key === 'nginx') {
      if (!nginxBin) {
        console.log('nginx not found: apt-get install nginx-light to compare');
        row.skipped = 'nginx not found';
        return row;
      }
      port = await freePort();
      const conf = writeNginxConf(tmpDir, port, upstreamPort);
      child = startChild('nginx', nginxBin, ['-p', tmpDir, '-c', conf, '-e', path.join(tmpDir, 'error.log')], { pin });
      await waitForHttp('nginx', port, BENCH_PATH, 5000, child);
    } else {
      port = await freePort();
      const rowEnv = row.limiter ? { ...row.env, ...gatewayEnv } : row.env;
      const env = {
        ...process.env,
        ...rowEnv,
        PORT: String(port),
        HOST: '127.0.0.1',
        LEGACY_URL: upstreamUrl,
        LOG_LEVEL: 'warn',
      };
      child = startChild('gateway', process.execPath, [gatewayMain], { pin, env });
      await waitForHttp('gateway', port, '/health', 20_000, child);
    }
    process.stdout.write(`  ${row.label.padEnd(17)} :${port} ... `);
    const exportsBefore = ctx.sink?.exports() ?? 0;
    const pids = { proxy: child?.pid, upstream: upstream.pid, redis: row.redis ? ctx.redis.child.pid : undefined };
    await measure(row, port, settings, pids);
    if (settings.fixed.rate && row.ok) await measureFixed(row, port, settings, pids);
    // A tracing row whose spans never reached the sink did not measure tracing (endpoint unused, sampler off).
    if (row.otlp) {
      row.otlpExports = ctx.sink.exports() - exportsBefore;
      if (row.otlpExports === 0) row.ok = false;
    }
    const fixedNote = row.fixed
      ? `, at ${fmt(row.fixed.rate)} req/s p50 ${fmt(row.fixed.p50, 2)} ms p99 ${fmt(row.fixed.p99, 2)} ms`
      : '';
    console.log(
      `${fmt(row.rps)} req/s${fixedNote}${row.ok ? '' : row.otlpExports === 0 ? '  (!) no span export reached the OTLP sink' : '  (!) errors or non-2xx'}${row.otlp ? ` (${row.otlpExports} OTLP exports)` : ''}`,
    );
    if (child && (child.exitCode !== null || child.signalCode !== null)) throw new Error(describeExit(child));
  } catch (err) {
    row.failed = err.message.split('\n')[0];
    console.log(`\n  ${row.label}: FAILED: ${err.message}`);
  } finally {
    delete row.expectBody;
    if (child) {
      if (!row.ok && child.logTail.length) row.childLog = child.logTail.slice(-10);
      await stopChild(child);
    }
  }
  return row;
}

async function main() {
  const settings = parseSettings();
  const gatewayMain = path.join(ROOT, 'dist', 'main.js');
  if (settings.targets.some((t) => t.startsWith('gateway')) && !existsSync(gatewayMain)) {
    throw new Error('dist/main.js not found: run `npm run build` first (or `npm run bench`, which builds)');
  }
  const perTarget =
    settings.warmup +
    settings.duration +
    30 +
    (settings.fixed.rate ? settings.fixed.warmup + settings.fixed.duration + 5 : 0);
  const budgetMs = (settings.rounds * settings.targets.length * perTarget + 30) * 1000;
  setTimeout(() => {
    console.error(`bench exceeded its ${budgetMs / 1000} s budget: stopping`);
    cleanup().finally(() => process.exit(1));
  }, budgetMs).unref();

  // Read before pinning: afterwards this process's affinity is a single CPU and Node reports 1.
  const cpuCount = os.availableParallelism();
  const pin = planPinning();
  const nginxBin = settings.targets.includes('nginx') ? findNginx() : null;
  tmpDir = mkdtempSync(path.join(os.tmpdir(), 'figway-bench-'));
  const childEnv = { ...process.env, BENCH_EXIT_WITH_PARENT: '1' };
  // The default RATE_LIMIT (600/60s per client) would answer almost the whole run with 429s, since all load
  // comes from one address. A limit that is never reached keeps the limiter's per-request work in the
  // measurement, which is what production pays. A RATE_LIMIT in the caller's environment wins.
  const gatewayEnv = { RATE_LIMIT: process.env.RATE_LIMIT ?? UNREACHABLE_RATE_LIMIT };

  const meta = {
    startedAt: new Date().toISOString(),
    gatewayVersion: JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version,
    // The build measured (with a + when the tree had changes), so figures can be tied to code.
    commit: gitCommit(),
    node: process.version,
    nginx: nginxBin ? nginxVersion(nginxBin) : null,
    undici: require('undici/package.json').version,
    autocannon: require('autocannon/package.json').version,
    machine: {
      cpus: cpuCount,
      model: os.cpus()[0]?.model?.trim(),
      kernel: os.release(),
      memGiB: round(os.totalmem() / 2 ** 30, 1),
    },
    pinning: pin,
    clockTicksPerSecond: CLK_TCK,
    settings: { ...settings, path: BENCH_PATH },
    gatewayEnv,
  };

  const roundsNote = settings.rounds > 1 ? `, ${settings.rounds} interleaved rounds (medians shown)` : '';
  console.log(
    `figway bench: GET ${BENCH_PATH}, ${settings.connections} connections, pipelining 1, ${settings.warmup} s warm-up + ${settings.duration} s per target${roundsNote}`,
  );
  const nginxNote = settings.targets.includes('nginx') ? (meta.nginx ?? 'no nginx') : 'nginx not selected';
  console.log(
    `node ${meta.node}, ${nginxNote}, undici ${meta.undici}, autocannon ${meta.autocannon}, ${meta.machine.cpus} CPUs (${meta.machine.model})`,
  );
  if (settings.targets.some((t) => t.startsWith('gateway'))) {
    const note =
      gatewayEnv.RATE_LIMIT === UNREACHABLE_RATE_LIMIT
        ? ' (limiter runs, never refuses; set RATE_LIMIT to override)'
        : ' (from your environment)';
    console.log('gateway: RATE_LIMIT=off, CACHE_ENABLED=false (forwarding alone)');
    console.log(`gateway (defaults): RATE_LIMIT=${gatewayEnv.RATE_LIMIT}${note}, cache on, every request a MISS`);
    console.log('gateway cache HIT: RATE_LIMIT=off, cache on, GET /api/v1/bench-cacheable (public, max-age=300)');
  }
  if (settings.targets.some((t) => REDIS_TARGETS.includes(t))) {
    const sync = process.env.RATE_LIMIT_SYNC_MS
      ? `RATE_LIMIT_SYNC_MS=${process.env.RATE_LIMIT_SYNC_MS}`
      : 'RATE_LIMIT_SYNC_MS default';
    const skip = process.env.CACHE_UNCACHEABLE_TTL_MS
      ? `CACHE_UNCACHEABLE_TTL_MS=${process.env.CACHE_UNCACHEABLE_TTL_MS}`
      : 'CACHE_UNCACHEABLE_TTL_MS default';
    console.log(
      `redis rows: REDIS_URL to a redis-server on the load generator's core, the same limit and cache settings (${sync}, ${skip})`,
    );
  }
  if (settings.fixed.rate) {
    console.log(
      `then per target: ${settings.fixed.warmup} s + ${settings.fixed.duration} s at a fixed ${fmt(settings.fixed.rate)} req/s over ${settings.fixed.connections} connections (latency when nothing queues)`,
    );
  }
  console.log(
    pin.enabled
      ? `pinning: upstream and each proxy on CPU ${pin.serverCpu} (proxy on one core, sharing it with the upstream); autocannon on CPU ${pin.clientCpu} (taskset)`
      : `pinning: off (${pin.reason}); the load generator competes with the proxy for CPU`,
  );

  const upstream = startChild('upstream', process.execPath, [path.join(BENCH_DIR, 'upstream.mjs'), '0'], {
    pin,
    env: childEnv,
    stdin: 'pipe',
  });
  const upstreamPort = await waitForPortLine(upstream, 5000);
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  const reference = await getOnce(upstreamPort, BENCH_PATH);
  if (reference.status !== 200) throw new Error(`upstream answered ${reference.status}`);

  // ctx.sink: the OTLP sink, started by the first tracing row.
  const ctx = {
    settings,
    pin,
    nginxBin,
    childEnv,
    gatewayEnv,
    gatewayMain,
    upstream,
    upstreamPort,
    upstreamUrl,
    reference,
    sink: null,
  };
  const rounds = [];
  for (let r = 0; r < settings.rounds; r++) {
    if (settings.rounds > 1) console.log(`round ${r + 1} of ${settings.rounds}`);
    const rows = [];
    for (const key of settings.targets) rows.push(await runTarget(key, ctx));
    rounds.push(rows);
  }
  if (upstream.exitCode !== null) throw new Error(describeExit(upstream));
  await ctx.sink?.close();

  const rows = rounds.length === 1 ? rounds[0] : medianRows(rounds);
  console.log('');
  printTable(rows);
  const ratiosOf = (rs) => computeRatios(rs, settings.features);
  const ratios = rounds.length === 1 ? ratiosOf(rows) : medianRatios(rounds.map(ratiosOf));
  printRatios(ratios);
  const fixed = settings.fixed.rate ? fixedLatency(rounds) : [];
  printFixed(settings.fixed.rate, fixed);

  const bad = rows.filter((r) => r.rps != null && !r.ok);
  for (const r of bad) {
    if (r.otlpExports === 0) {
      console.log(
        `(!) ${r.label}: no span export reached the OTLP sink (OTEL_SDK_DISABLED or OTEL_TRACES_SAMPLER in your environment?)`,
      );
      continue;
    }
    console.log(
      `(!) ${r.label}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.resets} resets, ${r.wholeRun.non2xx} non-2xx ` +
        `(${r.non2xx} after warm-up); status codes over the whole run ${JSON.stringify(r.wholeRun.statusCodes)}` +
        (r.fixed ? `; fixed-rate run: ${r.fixed.errors} errors, ${r.fixed.non2xx} non-2xx` : '') +
        (r.childLog ? `\n    last log lines:\n      ${r.childLog.join('\n      ')}` : ''),
    );
  }
  for (const r of rows) {
    const busy = r.otherCpuPercent > 15;
    const drift = r.trend != null && Math.abs(r.trend - 1) > 0.15;
    if (!busy && !drift) continue;
    const parts = [];
    if (busy) parts.push(`other processes used ${r.otherCpuPercent}% of a core meanwhile`);
    if (drift) {
      const [first, second] = halves(r.rpsPerSecond);
      parts.push(
        `throughput ${r.trend > 1 ? 'rose' : 'fell'} from ${fmt(first)} to ${fmt(second)} req/s between the halves`,
      );
    }
    // Other load explains drift in either direction; only on a quiet machine does a rise point at JIT warm-up.
    const advice = busy
      ? 'noisy: repeat on a quieter machine'
      : r.trend > 1
        ? 'still warming up? raise BENCH_WARMUP if it repeats'
        : 'disturbed (steal, throttling)?';
    console.log(`(!) ${r.label}: ${parts.join('; ')}; ${advice}`);
  }
  console.log(
    '\nnotes: all figures cover the measured window after the warm-up, except errors (whole run). req/s: responses per' +
      '\nsecond, ±sd over 1 s samples; p50/p99 from every response time; µs/req: CPU (user+sys from /proc) of the proxy' +
      "\nprocess tree or the upstream per request; client CPU: autocannon's share of its core; other CPU: what the rest of" +
      '\nthe machine used meanwhile; steal: what the hypervisor took (both % of one core).',
  );

  const resultsDir = path.join(BENCH_DIR, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${meta.startedAt.replace(/[:.]/g, '-')}.json`);
  meta.redis = ctx.redis ? ctx.redis.version : null;
  writeFileSync(
    file,
    `${JSON.stringify({ ...meta, finishedAt: new Date().toISOString(), rows, ratios, fixedLatency: fixed, rounds: rounds.length > 1 ? rounds : undefined }, null, 2)}\n`,
  );
  console.log(`results: ${path.relative(ROOT, file)}`);
  return bad.length || rows.some((r) => r.failed) ? 1 : 0;
}

main()
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(`bench failed: ${err.message}`);
      process.exitCode = 1;
    },
  )
  .finally(() => cleanup());
