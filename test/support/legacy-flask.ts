import { startChild, type Child } from './child';
import { freePort, waitForPort } from './ports';
import { LEGACY_APP_DIR, LEGACY_PYTHON } from './legacy-python';

export interface LegacyApp {
  url: string;
  port: number;
  child: Child;
  stop(): Promise<void>;
}

/** The real Flask example app under gunicorn (its venv is made and filled by test/run.mjs before any test starts). */
export async function startLegacy(env: Record<string, string> = {}): Promise<LegacyApp> {
  const port = await freePort();
  const child = startChild(LEGACY_PYTHON, ['-m', 'gunicorn', '-c', 'gunicorn.conf.py', 'app:app'], {
    cwd: LEGACY_APP_DIR,
    env: { ...process.env, PORT: String(port), ...env },
  });
  // A bound, not a wait: it returns as soon as the port accepts. Parallel test files start several processes at
  // once on two cores, and a start can take several seconds of CPU there.
  await waitForPort(port, 30_000, child.alive).catch((err) => {
    throw new Error(`${err.message}\n${child.output()}`);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    async stop() {
      await child.stop('SIGTERM', 3_000);
    },
  };
}
