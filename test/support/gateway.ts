import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild, type Child } from './child';
import { GATEWAY_MAIN, ROOT } from './paths';
import { waitForPort } from './ports';
import { waitFor } from './wait';

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
 * Starts the real gateway process (compiled main.js) and waits until it accepts connections. Without `opts.port` it
 * listens on a port the OS picks (PORT=0) and tells it through LISTEN_ADDRESS_FILE: a number picked beforehand
 * could be taken by a parallel test's server before the gateway binds it, and the test would then talk to that
 * server. `opts.port`: a fixed port, for a test that restarts a gateway where the previous one listened.
 * `opts.main`: another compiled entry point that boots the same gateway (test/support/gateway-with-flaky-module.ts).
 * The test's env replaces the machine's Figway variables, so a developer's shell cannot leak into a test.
 */
export async function startGateway(
  env: Record<string, string>,
  opts: { port?: number; main?: string } = {},
): Promise<RunningGateway> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && /^(PATH|HOME|LANG|TMPDIR|NODE_OPTIONS)$/.test(k)) base[k] = v;
  }
  const addressFile = join(mkdtempSync(join(tmpdir(), 'figway-listen-')), 'address');
  const child = startChild(process.execPath, [opts.main ?? GATEWAY_MAIN], {
    cwd: ROOT,
    env: {
      ...base,
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      ...env,
      PORT: String(opts.port ?? 0),
      LISTEN_ADDRESS_FILE: addressFile,
    },
  });
  // Bounds, not waits: each returns as soon as the gateway listens. Parallel test files start several processes
  // at once on two cores, and a start can take several seconds of CPU there.
  const port = await listeningPort(child, addressFile, opts.port).catch(async (err: Error) => {
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

async function listeningPort(child: Child, addressFile: string, fixed: number | undefined): Promise<number> {
  if (fixed !== undefined) {
    await waitForPort(fixed, 30_000, child.alive);
    return fixed;
  }
  let url = '';
  await waitFor(
    () => {
      if (!child.alive()) throw new Error('the gateway exited before it listened');
      try {
        url = readFileSync(addressFile, 'utf8').trim();
        return true;
      } catch {
        return false;
      }
    },
    30_000,
    { what: 'the gateway to write LISTEN_ADDRESS_FILE' },
  );
  return Number(new URL(url).port);
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
