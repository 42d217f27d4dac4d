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

/** The real Flask example app under gunicorn (deps are installed by test/run.mjs before any test starts). */
export async function startLegacy(env: Record<string, string> = {}): Promise<LegacyApp> {
  const port = await freePort();
  const child = startChild('python3', ['-m', 'gunicorn', '-c', 'gunicorn.conf.py', 'app:app'], {
    cwd: join(ROOT, 'examples/legacy-flask'),
    env: { ...process.env, PORT: String(port), ...env },
  });
  await waitForPort(port, 15_000, child.alive).catch((err) => {
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
