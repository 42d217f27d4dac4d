// Instructions per forwarded request, counted by valgrind's callgrind: a figure other load on the machine does not
// move, for comparing two builds when the machine is too busy for req/s. See bench/README.md, "Instruction counts".
// Usage: node bench/callgrind.mjs [A/dist/main.js B/dist/main.js ...]   (default: this tree's dist/main.js)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, median, numEnv, waitForHealth } from './lib-proc.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WARMUP = Math.round(numEnv('BENCH_CG_WARMUP', 20_000, 0, 1e7));
const WINDOW = Math.round(numEnv('BENCH_CG_REQUESTS', 4_000, 100, 1e7));
const WINDOWS = Math.round(numEnv('BENCH_CG_WINDOWS', 4, 1, 100));
const CONNECTIONS = Math.round(numEnv('BENCH_CG_CONNECTIONS', 8, 1, 256));
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
const mains = process.argv.slice(2).map((m) => path.resolve(m));
if (mains.length === 0) mains.push(path.join(ROOT, 'dist', 'main.js'));

const children = new Set();
process.on('exit', () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

function start(cmd, args, env) {
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** `count` GETs over `CONNECTIONS` keep-alive connections; every answer must be a 200. */
async function load(url, count) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  let left = count;
  const one = () =>
    new Promise((resolve, reject) => {
      http
        .get(url, { agent }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
        })
        .on('error', reject);
    });
  const loop = async () => {
    while (left-- > 0) await one();
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  agent.destroy();
}

// valgrind names its control pipes after $HOST, which the gateway's environment sets: the same here.
const control = (...args) =>
  execFileSync('callgrind_control', args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOST: '127.0.0.1' },
  });

/** Total instructions (Ir) in the newest dump file of `dir`. */
function lastDumpIr(dir, seen) {
  const fresh = readdirSync(dir).filter((f) => !seen.has(f));
  if (fresh.length !== 1) throw new Error(`expected one new dump, found ${fresh.join(', ') || 'none'}`);
  seen.add(fresh[0]);
  const text = readFileSync(path.join(dir, fresh[0]), 'utf8');
  const m = /^(?:summary|totals): (\d+)/m.exec(text);
  if (!m) throw new Error(`no instruction total in ${fresh[0]}`);
  return Number(m[1]);
}

async function measure(main, legacy) {
  const dir = mkdtempSync(path.join(tmpdir(), 'figway-cg-'));
  const port = await freePort();
  const env = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    LEGACY_URL: legacy,
    LOG_LEVEL: 'warn',
    RATE_LIMIT: 'off',
    CACHE_ENABLED: 'false',
    OTEL_SDK_DISABLED: 'true',
    // Under valgrind the event loop lags seconds: the overload monitor would shed the measured requests.
    SHED_EVENT_LOOP_LAG_MS: '0',
    SHED_HEAP_RATIO: '0',
  };
  const args = ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${dir}/cg.out`];
  const child = start('valgrind', [...args, process.execPath, ...NODE_FLAGS, main], env);
  const url = `http://127.0.0.1:${port}/api/v1/bench`;
  await waitForHealth(`http://127.0.0.1:${port}`, child, 600_000);
  await load(url, WARMUP);
  control('-i', 'on', String(child.pid));
  const seen = new Set(readdirSync(dir));
  const perRequest = [];
  for (let w = 0; w < WINDOWS; w++) {
    control('-z', String(child.pid));
    await load(url, WINDOW);
    control('-d', String(child.pid));
    perRequest.push(lastDumpIr(dir, seen) / WINDOW);
    console.log(
      `  ${main}: window ${w + 1}: ${Math.round(perRequest[w]).toLocaleString('en-US')} instructions/request`,
    );
  }
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return perRequest;
}

async function main() {
  for (const m of mains) if (!existsSync(m)) throw new Error(`${m} not found (npm run build?)`);
  const upPort = await freePort();
  start(process.execPath, ['bench/upstream.mjs', String(upPort)], process.env);
  const legacy = `http://127.0.0.1:${upPort}`;
  console.log(`callgrind: ${WARMUP} warm-up GETs, then ${WINDOWS} windows of ${WINDOW}, ${CONNECTIONS} connections`);
  const results = [];
  for (const m of mains) results.push({ main: m, perRequest: await measure(m, legacy) });
  for (const r of results)
    console.log(`${r.main}: median ${Math.round(median(r.perRequest)).toLocaleString('en-US')} instructions/request`);
  if (results.length > 1) {
    const base = median(results[0].perRequest);
    for (const r of results.slice(1)) console.log(`${r.main} / first: ${(median(r.perRequest) / base).toFixed(3)}`);
  }
  process.exit(0);
}

main().catch((err) => {
  console.error(`callgrind bench: ${err.message}`);
  process.exit(1);
});
