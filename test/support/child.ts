import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface Child {
  proc: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr interleaved). */
  output(): string;
  /** What the process wrote to stdout alone (its log lines, without stderr). */
  stdout(): string;
  alive(): boolean;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

export function startChild(cmd: string, args: string[], opts: SpawnOptions): Child {
  const proc = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stdout = '';
  proc.stdout?.on('data', (d) => {
    out += d;
    stdout += d;
  });
  proc.stderr?.on('data', (d) => (out += d));
  let running = true;
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (code) => {
      running = false;
      resolve(code);
    });
    proc.once('error', (err) => {
      out += `\n[spawn error] ${err.message}`;
      running = false;
      resolve(-1);
    });
  });
  return {
    proc,
    output: () => out,
    stdout: () => stdout,
    alive: () => running,
    exited,
    async stop(signal = 'SIGTERM', timeoutMs = 10_000) {
      if (!running) return exited;
      proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}
