import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild, type Child } from './child';
import { freePort } from './ports';
import { scanKeys } from './redis-commands';
import { waitFor } from './wait';

export interface RedisServer {
  url: string;
  port: number;
  child: Child;
  stop(): Promise<void>;
}

/**
 * Starts redis-server with the arguments `argsFor(port)` gives and resolves once it says it is ready, which it does
 * only after binding the port: a freePort() number can be taken by a parallel test's server before redis binds it,
 * and a plain "the port accepts" check would then pass on that other server. Redis exits when the bind fails; then
 * another number is tried. A `fixed` port (a restart where a test's Redis was) is tried once.
 */
async function spawnRedis(
  argsFor: (port: number) => string[],
  fixed?: number,
): Promise<{ child: Child; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = fixed ?? (await freePort());
    const child = startChild('redis-server', argsFor(port), {});
    try {
      await waitFor(
        () => {
          if (!child.alive()) throw new Error(`redis-server exited before it was ready\n${child.output()}`);
          return /Ready to accept connections|Sentinel ID is/.test(child.output());
        },
        10_000,
        { what: 'redis-server to be ready', detail: () => child.output() },
      );
      return { child, port };
    } catch (err) {
      await child.stop('SIGKILL');
      if (fixed !== undefined || attempt === 5 || !/Address already in use/.test(child.output())) throw err;
    }
  }
}

/** A real redis-server of the test's own, on a free port, keeping nothing on disk. */
export async function startRedis(port?: number): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'figway-redis-'));
  const { child, port: p } = await spawnRedis(
    (n) => ['--port', String(n), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    port,
  );
  return {
    url: `redis://127.0.0.1:${p}`,
    port: p,
    child,
    async stop() {
      await child.stop('SIGKILL');
    },
  };
}

export interface RedisGroup {
  /** The REDIS_URL the gateway is given. */
  url: string;
  /** Keys matching the glob `pattern` wherever they live (every cluster node; the master behind the Sentinel). */
  keys(pattern: string): Promise<string[]>;
  stop(): Promise<void>;
}

async function run(cmd: string, args: string[]): Promise<string> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { timeout: 20_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout),
    ),
  );
}

/** A real three-master Redis Cluster on free ports (no replicas). */
export async function startRedisCluster(): Promise<RedisGroup> {
  const nodes: Child[] = [];
  const ports: number[] = [];
  for (let i = 0; i < 3; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'figway-cluster-'));
    const { child, port } = await spawnRedis((n) => [
      '--port',
      String(n),
      '--bind',
      '127.0.0.1',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dir, 'nodes.conf'),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ]);
    nodes.push(child);
    ports.push(port);
  }
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop('SIGKILL')));
  };
  try {
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await waitFor(
      async () => (await run('redis-cli', ['-p', String(ports[0]), 'cluster', 'info'])).includes('cluster_state:ok'),
      10_000,
      { what: 'cluster_state:ok', stepMs: 100 },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: `redis+cluster://127.0.0.1:${ports[0]},127.0.0.1:${ports[1]}`,
    keys: async (pattern) => (await Promise.all(ports.map((p) => scanKeys(p, pattern)))).flat(),
    stop,
  };
}

/** A real Redis master watched by one Sentinel (redis-server in sentinel mode). */
export async function startRedisSentinel(masterName = 'figway'): Promise<RedisGroup & { master: RedisServer }> {
  const master = await startRedis();
  const dir = mkdtempSync(join(tmpdir(), 'figway-sentinel-'));
  const conf = join(dir, 'sentinel.conf');
  const { writeFileSync } = await import('node:fs');
  const { child: sentinel, port } = await spawnRedis((n) => {
    // Sentinel rewrites its file; each attempt starts from a fresh one.
    writeFileSync(
      conf,
      `port ${n}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor ${masterName} 127.0.0.1 ${master.port} 1\nsentinel down-after-milliseconds ${masterName} 1000\n`,
    );
    return [conf, '--sentinel'];
  }).catch(async (err: Error) => {
    await master.stop();
    throw err;
  });
  return {
    url: `redis+sentinel://127.0.0.1:${port}/${masterName}`,
    keys: (pattern) => scanKeys(master.port, pattern),
    master,
    async stop() {
      await sentinel.stop('SIGKILL');
      await master.stop();
    },
  };
}
