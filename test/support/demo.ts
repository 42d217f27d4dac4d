import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { GATEWAY_MAIN, ROOT } from './paths';

export interface DemoRun {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/**
 * `node scripts/demo.mjs` (what `npm run demo` runs after building dist/) against this checkout's dist-test
 * gateway, so no test builds dist/. Its environment is the test's alone, as for startGateway.
 */
export function runDemo(env: Record<string, string>): DemoRun {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && /^(PATH|HOME|LANG|TMPDIR)$/.test(k)) base[k] = v;
  }
  const proc = spawn(process.execPath, [join(ROOT, 'scripts/demo.mjs')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...base, DEMO_GATEWAY_ENTRY: GATEWAY_MAIN, HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
  });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d) => (out += d));
  proc.stderr?.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** The non-empty lines of a stream's text. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}
