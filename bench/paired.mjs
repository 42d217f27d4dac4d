// Paired mode: what one setting costs the plain gateway, measured so that the machine's own drift cancels out.
// Usage: `npm run bench:paired` (builds first) or `node bench/paired.mjs` with dist/ up to date. See bench/README.md.
//
// Why not two rows of `npm run bench`: on the shared 2-vCPU VMs this project is measured on, the speed of a core
// itself wanders by up to half within seconds to tens of seconds (a fixed CPU-bound loop on CPU 1 took 58 to 91 ms
// per pass within one minute, with nothing else running and 0% steal), which is the same time scale as one row. Two
// rows measured a minute apart then differ by more than the feature being priced. Here both gateways run at once
// and, by default, take load at the same time in short slices on one core, so each B slice is compared with an A
// slice measured over the very same seconds (BENCH_TOGETHER=0: in turn, A B then B A, ...), and the median of
// those per-pair ratios is the figure. Fresh process pairs per session, because a process's steady state is luck
// as much as code.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import {
  CLK_TCK,
  freePort,
  median,
  numEnv,
  planPinning,
  readProcStat,
  startOtlpSink,
  waitForHealth,
} from './lib-proc.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BENCH_PATH = '/api/v1/bench';

function settingsOrExit() {
  try {
    return {
      SESSIONS: Math.round(numEnv('BENCH_SESSIONS', 8, 1, 50)),
      PAIRS: Math.round(numEnv('BENCH_PAIRS', 5, 2, 400)),
      SLICE_S: numEnv('BENCH_SLICE_S', 1, 0.5, 60),
      WARMUP_S: numEnv('BENCH_WARMUP', 5, 1, 120),
      CONNECTIONS: Math.round(numEnv('BENCH_CONNECTIONS', 50, 1, 10_000)),
    };
  } catch (err) {
    console.error(`paired bench: ${err.message}`);
    process.exit(2);
  }
}
const { SESSIONS, PAIRS, SLICE_S, WARMUP_S, CONNECTIONS } = settingsOrExit();
// Every new autocannon instance ramps up over its first half second (50 connections starting in lockstep).
const RAMP_S = 0.5;

/** "K=V K=V" -> { K: V }. */
function parseEnvList(text) {
  const out = {};
  for (const part of text.trim().split(/\s+/).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`BENCH_PAIR_ENV: "${part}" is not KEY=VALUE`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

// B is the plain gateway plus BENCH_PAIR_ENV. Unset, B prices tracing as k8s/configmap.yaml ships it: 10% of new
// traces sampled (a caller's sampled flag is followed), OTLP http/protobuf to a sink in this process. An
// OTEL_TRACES_SAMPLER in your shell replaces that sampler.
const tracingB = (process.env.BENCH_PAIR_ENV ?? '').trim() === '';

const gatewayMain = path.join(ROOT, 'dist', 'main.js');
if (!existsSync(gatewayMain)) {
  console.error('paired bench: dist/main.js not found: run `npm run build` first (or `npm run bench:paired`)');
  process.exit(2);
}
// A before/after comparison of two builds: A runs another tree's gateway (its dist/main.js), B this tree's.
const mainA = process.env.BENCH_A_MAIN ? path.resolve(process.env.BENCH_A_MAIN) : gatewayMain;
if (!existsSync(mainA)) {
  console.error(`paired bench: BENCH_A_MAIN ${mainA} not found`);
  process.exit(2);
}

const children = new Set();
const stopAll = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
};
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});
for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
])
  process.once(sig, () => (stopAll(), process.exit(code)));

const pin = planPinning();
function start(cmd, args, env) {
  const [file, argv] = pin.enabled ? ['taskset', ['-c', String(pin.serverCpu), cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** utime + stime of one gateway (taskset execs the command, so the child's pid is the gateway's own). */
function ticks(pid) {
  const st = readProcStat(pid);
  if (!st) throw new Error(`process ${pid} is gone`);
  return st.ticks;
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo);
};
// Node flags for both gateways, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile A and B under the same drift.
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
// A and B are loaded at the same time in each slice, sharing CPU 1 (the kernel gives each runnable gateway an equal
// share), so no drift at all separates the two measurements; BENCH_TOGETHER=0 loads them in turn instead.
const TOGETHER = process.env.BENCH_TOGETHER !== '0';
const fmt = (n) => Math.round(n).toLocaleString('en-US');

/** One slice: autocannon for the ramp plus SLICE_S, of which only the last SLICE_S seconds count. */
async function slice(target, seconds) {
  const inst = autocannon({ url: target.url, connections: CONNECTIONS, duration: RAMP_S + seconds, timeout: 10 });
  let before = null;
  let responses = 0;
  const timer = setTimeout(() => (before = { ticks: ticks(target.child.pid), at: performance.now() }), RAMP_S * 1000);
  inst.on('response', () => {
    target.served++;
    if (before) responses++;
  });
  const result = await inst;
  const after = { ticks: ticks(target.child.pid), at: performance.now() };
  clearTimeout(timer);
  if (!before || responses === 0) throw new Error(`${target.name}: no responses in a slice`);
  return {
    rps: responses / ((after.at - before.at) / 1000),
    cpuUs: ((after.ticks - before.ticks) * 1e6) / CLK_TCK / responses,
    // Over the whole slice, ramp included: a failure during the ramp is as much a bug as one after it.
    failures: result.errors + result.timeouts + result.resets + result.non2xx,
  };
}

/** Starts the two gateways of one session (in the given order) and waits until both answer. */
async function startPair(order) {
  const targets = {};
  for (const [name, env] of order) {
    const port = await freePort();
    const main = name === 'A' ? mainA : gatewayMain;
    const child = start(process.execPath, [...NODE_FLAGS, main], { ...env, PORT: String(port) });
    await waitForHealth(`http://127.0.0.1:${port}`, child);
    targets[name] = { name, child, url: `http://127.0.0.1:${port}${BENCH_PATH}`, served: 0, ticks0: 0 };
  }
  return targets;
}

async function stopTarget(t) {
  if (t.child.exitCode !== null) return;
  t.child.kill('SIGTERM');
  await new Promise((r) => t.child.once('exit', r));
}

/** Middle and quartiles of a list of ratios. */
const spread = (xs) => ({ median: median(xs), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75) });

async function main() {
  const perSession = 2 * 4 + 2 * (RAMP_S + WARMUP_S) + PAIRS * 2 * (RAMP_S + SLICE_S + 0.5) + 8;
  const budgetS = 30 + SESSIONS * perSession * 1.5;
  setTimeout(
    () => (
      console.error(`paired bench exceeded its ${budgetS.toFixed(0)} s budget: stopping`),
      stopAll(),
      process.exit(1)
    ),
    budgetS * 1000,
  ).unref();

  const upPort = await freePort();
  start(process.execPath, ['bench/upstream.mjs', String(upPort)], process.env);
  const legacy = `http://127.0.0.1:${upPort}`;
  const sink = tracingB ? await startOtlpSink() : null;
  // Tracing stays off in A whatever the shell says; B gets exactly its own settings on top (a BENCH_PAIR_ENV that
  // traces must say OTEL_SDK_DISABLED=false and name an endpoint).
  const plain = {
    ...process.env,
    HOST: '127.0.0.1',
    LEGACY_URL: legacy,
    LOG_LEVEL: 'warn',
    RATE_LIMIT: 'off',
    CACHE_ENABLED: 'false',
    OTEL_SDK_DISABLED: 'true',
  };
  // BENCH_A_ENV: settings for A too, to compare two builds with the same features on (e.g. Redis limits and cache).
  const envA = { ...plain, ...parseEnvList(process.env.BENCH_A_ENV ?? '') };
  const envB = tracingB
    ? {
        ...plain,
        OTEL_SDK_DISABLED: 'false',
        OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_TRACES_SAMPLER: process.env.OTEL_TRACES_SAMPLER || 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: process.env.OTEL_TRACES_SAMPLER ? (process.env.OTEL_TRACES_SAMPLER_ARG ?? '') : '0.1',
      }
    : { ...plain, ...parseEnvList(process.env.BENCH_PAIR_ENV) };
  const labelB = tracingB
    ? `tracing on (${envB.OTEL_TRACES_SAMPLER}${envB.OTEL_TRACES_SAMPLER_ARG ? ` ${envB.OTEL_TRACES_SAMPLER_ARG}` : ''}, OTLP to a sink)`
    : process.env.BENCH_PAIR_ENV.trim();

  console.log(
    `paired bench: GET ${BENCH_PATH}, ${CONNECTIONS} connections, ${SESSIONS} sessions of ${PAIRS} pairs of ${SLICE_S} s slices (after a ${RAMP_S} s ramp each), ${TOGETHER ? 'A and B loaded together' : 'A and B loaded in turn'}`,
  );
  console.log(
    `  A: the plain gateway (RATE_LIMIT=off CACHE_ENABLED=false)${process.env.BENCH_A_ENV ? ` plus ${process.env.BENCH_A_ENV.trim()}` : ''}${mainA === gatewayMain ? '' : `, built from ${mainA}`}`,
  );
  console.log(`  B: A plus ${labelB}`);
  console.log(
    pin.enabled
      ? `  both gateways and the upstream on CPU ${pin.serverCpu}, load from CPU ${pin.clientCpu}`
      : `  pinning off (${pin.reason})`,
  );

  const sessions = [];
  let exports = 0;
  for (let s = 0; s < SESSIONS; s++) {
    // Fresh processes per session, started in turn A first and B first: a process settles into its own steady
    // state (how V8 compiled its hot paths, where its heap landed), which is part of what a setting costs.
    const order =
      s % 2 === 0
        ? [
            ['A', envA],
            ['B', envB],
          ]
        : [
            ['B', envB],
            ['A', envA],
          ];
    const { A, B } = await startPair(order);
    // Warm-up: each alone, long enough for V8 to optimise the hot path.
    if (TOGETHER) await Promise.all([slice(A, WARMUP_S), slice(B, WARMUP_S)]);
    else for (const t of [A, B]) await slice(t, WARMUP_S);
    const exportsBefore = sink?.exports() ?? 0;
    // Whole-session CPU per request: work a gateway defers past its own slice (a span batch exported on a timer)
    // still lands in its own process while the other one only waits, so its ticks over the session divided by
    // every response it served (ramps included) charge that work to the right side.
    for (const t of [A, B]) {
      t.served = 0;
      t.ticks0 = ticks(t.child.pid);
    }
    const pairs = [];
    for (let i = 0; i < PAIRS; i++) {
      const got = {};
      if (TOGETHER) [got.A, got.B] = await Promise.all([slice(A, SLICE_S), slice(B, SLICE_S)]);
      // A B, B A, A B, ...: a steady drift over one pair then favours neither side.
      else for (const t of i % 2 === 0 ? [A, B] : [B, A]) got[t.name] = await slice(t, SLICE_S);
      pairs.push({ a: got.A, b: got.B, rps: got.B.rps / got.A.rps, cpu: got.B.cpuUs / got.A.cpuUs });
    }
    // Longer than the SDK's default batch delay (OTEL_BSP_SCHEDULE_DELAY, 5 s): the last partial batch goes out.
    if (sink) await new Promise((r) => setTimeout(r, 6_000));
    const whole = Object.fromEntries(
      [A, B].map((t) => [t.name, ((ticks(t.child.pid) - t.ticks0) * 1e6) / CLK_TCK / t.served]),
    );
    if (sink) exports += sink.exports() - exportsBefore;
    await Promise.all([stopTarget(A), stopTarget(B)]);
    const session = {
      pairs,
      rps: spread(pairs.map((p) => p.rps)),
      cpu: spread(pairs.map((p) => p.cpu)),
      cpuUsA: median(pairs.map((p) => p.a.cpuUs)),
      cpuUsB: median(pairs.map((p) => p.b.cpuUs)),
      wholeCpuRatio: whole.B / whole.A,
    };
    sessions.push(session);
    console.log(
      `  session ${s + 1} (${order[0][0]} started first; pids A ${A.child.pid} B ${B.child.pid}): A ${fmt(median(pairs.map((p) => p.a.rps)))} req/s ${session.cpuUsA.toFixed(1)} µs/req, ` +
        `B ${fmt(median(pairs.map((p) => p.b.rps)))} req/s ${session.cpuUsB.toFixed(1)} µs/req; ` +
        `B/A req/s ${session.rps.median.toFixed(3)} (${session.rps.q1.toFixed(3)}-${session.rps.q3.toFixed(3)}), CPU/req ${session.cpu.median.toFixed(3)}, whole session CPU/req ${session.wholeCpuRatio.toFixed(3)}`,
    );
  }
  stopAll();
  await sink?.close();

  const all = sessions.flatMap((s) => s.pairs);
  const failures = all.reduce((n, p) => n + p.a.failures + p.b.failures, 0);
  const rpsA = all.map((p) => p.a.rps);
  const summary = {
    rpsRatio: spread(all.map((p) => p.rps)),
    cpuRatio: spread(all.map((p) => p.cpu)),
    sessionRpsRatios: sessions.map((s) => s.rps.median),
    wholeCpuRatio: median(sessions.map((s) => s.wholeCpuRatio)),
    machineDrift: Math.max(...rpsA) / Math.min(...rpsA),
  };
  const r = summary.rpsRatio;
  const c = summary.cpuRatio;
  console.log('');
  console.log(
    `A's req/s moved ${summary.machineDrift.toFixed(2)}x between its fastest and slowest slice (the machine's drift the pairing takes out)`,
  );
  console.log(
    `B/A req/s ${r.median.toFixed(3)} (middle half of all pairs ${r.q1.toFixed(3)}-${r.q3.toFixed(3)}; by session ${summary.sessionRpsRatios.map((x) => x.toFixed(3)).join(' ')})`,
  );
  console.log(
    `B/A CPU/req ${c.median.toFixed(3)} (${c.q1.toFixed(3)}-${c.q3.toFixed(3)}); over whole sessions, deferred work included, ${summary.wholeCpuRatio.toFixed(3)}`,
  );
  console.log(
    `cost of B: ${((1 - r.median) * 100).toFixed(1)}% of the plain gateway's req/s, ${((c.median - 1) * 100).toFixed(1)}% more CPU per request`,
  );
  if (sink) console.log(`  ${exports} OTLP exports reached the sink during the pairs`);

  mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
  const file = path.join(ROOT, 'bench', 'results', `paired-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const settings = {
    together: TOGETHER,
    sessions: SESSIONS,
    pairs: PAIRS,
    sliceS: SLICE_S,
    warmupS: WARMUP_S,
    connections: CONNECTIONS,
    b: labelB,
    aMain: mainA,
    node: process.version,
    pinning: pin,
  };
  writeFileSync(file, `${JSON.stringify({ settings, summary, exports, failures, sessions }, null, 2)}\n`);
  console.log(`results: ${path.relative(ROOT, file)}`);

  let bad = false;
  if (failures > 0) {
    bad = true;
    console.log(`(!) ${failures} errors, timeouts, resets or non-2xx answers: the figures are not comparable`);
  }
  if (sink && exports === 0) {
    bad = true;
    console.log('(!) no span export reached the sink: B did not measure tracing');
  }
  process.exit(bad ? 1 : 0);
}

main().catch((err) => {
  console.error(`paired bench failed: ${err.message}`);
  stopAll();
  process.exit(1);
});
