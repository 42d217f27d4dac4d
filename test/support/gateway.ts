import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild, type Child } from './child';
import { GATEWAY_MAIN, ROOT } from './paths';
import { freePort, waitForPort } from './ports';

export interface RunningGateway {
  url: string;
  port: number;
  child: Child;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Writes a routes.yaml for one test and returns its path. */
export function routesFile(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'figway-routes-')), 'routes.yaml');
  writeFileSync(file, yaml);
  return file;
}

/**
 * Starts the real gateway process (compiled main.js) on a free port (or `opts.port`, for a test that must reach it
 * the moment it listens) and waits until the port accepts connections. `opts.main`: another compiled entry point
 * that boots the same gateway (test/support/gateway-with-flaky-module.ts).
 * The test's env replaces the machine's Figway variables, so a developer's shell cannot leak into a test.
 */
export async function startGateway(
  env: Record<string, string>,
  opts: { port?: number; main?: string } = {},
): Promise<RunningGateway> {
  const port = opts.port ?? (await freePort());
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && /^(PATH|HOME|LANG|TMPDIR|NODE_OPTIONS)$/.test(k)) base[k] = v;
  }
  const child = startChild(process.execPath, [opts.main ?? GATEWAY_MAIN], {
    cwd: ROOT,
    env: { ...base, LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...env, PORT: String(port) },
  });
  // A bound, not a wait: it returns as soon as the port accepts. Parallel test files start several processes at
  // once on two cores, and a start can take several seconds of CPU there.
  await waitForPort(port, 30_000, child.alive).catch(async (err: Error) => {
    // Not left running: nobody else holds it, and on a loaded machine a leaked gateway adds to the load.
    await child.stop('SIGKILL');
    throw new Error(`${err.message}\n${child.output()}`);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    stop: (signal = 'SIGTERM') => child.stop(signal),
  };
}

/** Polls /health/ready until 200, as a load balancer would before sending traffic (Redis connects after listen). */
export async function waitReady(gw: RunningGateway, timeoutMs = 10_000): Promise<void> {
  const { send } = await import('./http');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await send(`${gw.url}/health/ready`).catch(() => undefined);
    if (res?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`gateway not ready after ${timeoutMs} ms: ${res?.body.toString()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
