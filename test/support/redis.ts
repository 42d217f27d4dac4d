import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild, type Child } from './child';
import { freePort, waitForPort } from './ports';

export interface RedisServer {
  url: string;
  port: number;
  child: Child;
  stop(): Promise<void>;
}

/** A real redis-server of the test's own, on a free port, keeping nothing on disk. */
export async function startRedis(port?: number): Promise<RedisServer> {
  const p = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'figway-redis-'));
  const child = startChild('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {});
  await waitForPort(p, 5_000, child.alive).catch((err) => {
    throw new Error(`${err.message}\n${child.output()}`);
  });
  return {
    url: `redis://127.0.0.1:${p}`,
    port: p,
    child,
    async stop() {
      await child.stop('SIGKILL');
    },
  };
}
