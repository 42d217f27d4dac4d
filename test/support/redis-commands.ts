import { execFile } from 'node:child_process';

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
