// Helpers shared by the bench scripts (they must not depend on src/): settings, ports, processes, CPU time and
// pinning, medians, an OTLP sink.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';

/** A numeric setting from the environment: `fallback` when unset or empty, an error naming it when out of range. */
export function numEnv(name, fallback, min, max) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new Error(`${name}=${raw}: expected a number from ${min} to ${max}`);
  return n;
}

/** Clock ticks per second, the unit of utime and stime in /proc/<pid>/stat. */
export const CLK_TCK = (() => {
  const n = Number((spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout ?? '').trim());
  return n > 0 ? n : 100;
})();

/** Parent pid and utime+stime (clock ticks) of one process from /proc; null when it is gone. */
export function readProcStat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may hold spaces or parentheses; everything after the last ')' is space-separated.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}

/** Median of the finite values; null when there are none. */
export function median(values) {
  const v = values.filter((x) => x != null && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** A port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Resident memory of a process, in MiB, from /proc. */
export function rssMiB(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `GET {url}/health` answers 200; fails if `child` exits first or `timeoutMs` passes. */
export async function waitForHealth(url, child, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error('the gateway exited before it listened');
    const ok = await new Promise((resolve) => {
      http
        .get(`${url}/health`, { agent: false }, (res) => (res.resume(), resolve(res.statusCode === 200)))
        .on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`the gateway did not answer /health in ${timeoutMs} ms`);
}

function parseCpuList(list) {
  const cpus = [];
  for (const part of list.split(',')) {
    const [a, b] = part.split('-').map(Number);
    for (let c = a; c <= (b ?? a); c++) cpus.push(c);
  }
  return cpus;
}

/**
 * The issue measured "proxy on one core": the server side gets one CPU and the load generator the other, so
 * that autocannon never steals cycles from the thing it measures. Taken from our own affinity list rather than
 * assumed to be 0 and 1, because a container's cpuset may hand out other numbers.
 */
export function planPinning() {
  const r = spawnSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return { enabled: false, reason: 'taskset not found' };
  const m = /list:\s*([\d,-]+)/.exec(r.stdout);
  const cpus = m ? parseCpuList(m[1]) : [];
  if (cpus.length < 2) return { enabled: false, reason: `only ${cpus.length || '?'} CPU allowed` };
  const clientCpu = cpus[0];
  const serverCpu = cpus[1];
  // -a: every thread of this process, autocannon's event loop included, plus GC and libuv helpers.
  const self = spawnSync('taskset', ['-a', '-p', '-c', String(clientCpu), String(process.pid)], { encoding: 'utf8' });
  if (self.status !== 0) return { enabled: false, reason: `taskset failed: ${(self.stderr || '').trim()}` };
  return { enabled: true, clientCpu, serverCpu };
}

/**
 * Stands in for an OpenTelemetry collector: accepts OTLP/HTTP exports and discards them. It runs in the calling
 * process (autocannon's core) because a real collector would not share the gateway's core either.
 */
export async function startOtlpSink() {
  let exports = 0;
  const server = http.createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') exports++;
      res.writeHead(200, {
        'content-type': req.headers['content-type'] ?? 'application/x-protobuf',
        'content-length': 0,
      });
      res.end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Never what keeps the bench alive after a failure.
  server.unref();
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    exports: () => exports,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(r);
      }),
  };
}
