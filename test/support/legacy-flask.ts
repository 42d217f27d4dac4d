import { startChild, type Child } from './child';
import { waitFor } from './wait';
import { LEGACY_APP_DIR, LEGACY_PYTHON } from './legacy-python';

export interface LegacyApp {
  url: string;
  port: number;
  child: Child;
  stop(): Promise<void>;
}

/**
 * The real Flask example app under gunicorn (its venv is made and filled by test/run.mjs before any test starts), on
 * a port the OS picks (PORT=0), read from gunicorn's "Listening at" line: a number picked beforehand could be taken
 * by a parallel test's server before gunicorn binds it.
 */
export async function startLegacy(env: Record<string, string> = {}): Promise<LegacyApp> {
  const child = startChild(LEGACY_PYTHON, ['-m', 'gunicorn', '-c', 'gunicorn.conf.py', 'app:app'], {
    cwd: LEGACY_APP_DIR,
    env: { ...process.env, PORT: '0', ...env, LOG_LEVEL: 'info' },
  });
  let port = 0;
  // A bound, not a wait: it returns as soon as gunicorn listens. Parallel test files start several processes at
  // once on two cores, and a start can take several seconds of CPU there.
  await waitFor(
    () => {
      if (!child.alive()) throw new Error('gunicorn exited before it listened');
      port = Number(/Listening at: http:\/\/127\.0\.0\.1:(\d+)/.exec(child.output())?.[1] ?? 0);
      return port > 0;
    },
    30_000,
    { what: "gunicorn's Listening at line" },
  ).catch((err: Error) => {
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
