// Process helpers shared by the bench scripts (they must not depend on src/).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';

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
      http.get(`${url}/health`, { agent: false }, (res) => (res.resume(), resolve(res.statusCode === 200))).on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`the gateway did not answer /health in ${timeoutMs} ms`);
}
