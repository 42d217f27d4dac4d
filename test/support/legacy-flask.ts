import { join } from 'node:path';
import { startChild, type Child } from './child';
import { freePort, waitForPort } from './ports';
import { ROOT } from './paths';

export interface LegacyApp {
  url: string;
  port: number;
  child: Child;
  stop(): Promise<void>;
}

/**
 * The interpreter of the app's venv, named by the one helper the test runner and the demo use too
 * (scripts/legacy-python.cjs). Loaded by path at run time: it is plain JavaScript outside the compiled tree.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a .cjs file outside the compiled tree
const { LEGACY_APP_DIR, LEGACY_PYTHON } = require(join(ROOT, 'scripts/legacy-python.cjs')) as {
  LEGACY_APP_DIR: string;
  LEGACY_PYTHON: string;
};

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
