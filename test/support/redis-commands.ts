import { execFile, spawn } from 'node:child_process';
import { waitFor } from './wait';

/**
 * Calls per command so far, from `INFO commandstats` (`cmdstat_get:calls=12,...` -> { get: 12 }): how a test sees
 * whether the gateway went to Redis, without sitting between them. The INFO call itself is counted as `info`.
 */
export function commandCalls(port: number): Promise<Record<string, number>> {
  return new Promise((resolve, reject) =>
    execFile('redis-cli', ['-p', String(port), 'info', 'commandstats'], { timeout: 5_000 }, (err, stdout) => {
      if (err) return reject(err);
      const calls: Record<string, number> = {};
      for (const m of stdout.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[m[1]] = Number(m[2]);
      resolve(calls);
    }),
  );
}

/** Commands sent between two commandCalls snapshots, `info` left out; only the names that moved. */
export function callsBetween(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, n] of Object.entries(after)) {
    const d = n - (before[name] ?? 0);
    if (d > 0 && name !== 'info') out[name] = d;
  }
  return out;
}

/** Keys matching the glob `pattern` on one redis-server (SCAN through redis-cli: asked of Redis, not the gateway). */
export function scanKeys(port: number, pattern: string): Promise<string[]> {
  return new Promise((resolve, reject) =>
    execFile('redis-cli', ['-p', String(port), '--scan', '--pattern', pattern], { timeout: 5_000 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout.split('\n').filter(Boolean)),
    ),
  );
}

/** The commands one redis-server receives from now on (MONITOR through redis-cli), one line each. */
export interface CommandWatch {
  /** Every command received until now (a marker sent after the test's own ones ends the watch), then stops. */
  stop(): Promise<string[]>;
}

/**
 * Watches what one redis-server is sent, command by command with its arguments: for a test that must count the
 * gateway's commands on some keys while other commands (a flag read at start-up, a beacon) may come and go.
 */
export async function watchCommands(port: number): Promise<CommandWatch> {
  const child = spawn('redis-cli', ['-p', String(port), 'monitor'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  await waitFor(() => out.startsWith('OK'), 5_000, { what: 'redis-cli monitor to start' });
  return {
    async stop() {
      // MONITOR reports commands in the order Redis runs them: once the marker is seen, so is everything before it.
      const mark = `figway-watch-${process.pid}-${Date.now()}`;
      await new Promise<void>((resolve, reject) =>
        execFile('redis-cli', ['-p', String(port), 'echo', mark], { timeout: 5_000 }, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
      await waitFor(() => out.includes(mark), 5_000, { what: 'the monitor to see the marker' });
      child.kill();
      const lines = out.split('\n');
      return lines.slice(
        1,
        lines.findIndex((l) => l.includes(mark)),
      );
    },
  };
}
