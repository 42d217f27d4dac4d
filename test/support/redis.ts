import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild, type Child } from './child';
import { freePort, waitForPort } from './ports';
import { scanKeys } from './redis-commands';
import { waitFor } from './wait';

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
  const child = startChild(
    'redis-server',
    ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    {},
  );
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
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'figway-cluster-'));
    const child = startChild(
      'redis-server',
      [
        '--port',
        String(port),
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
      ],
      {},
    );
    nodes.push(child);
    ports.push(port);
    await waitForPort(port, 5_000, child.alive);
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
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'figway-sentinel-'));
  const conf = join(dir, 'sentinel.conf');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(
    conf,
    `port ${port}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor ${masterName} 127.0.0.1 ${master.port} 1\nsentinel down-after-milliseconds ${masterName} 1000\n`,
  );
  const sentinel = startChild('redis-server', [conf, '--sentinel'], {});
  await waitForPort(port, 5_000, sentinel.alive).catch(async (err) => {
    await master.stop();
    throw new Error(`${err.message}\n${sentinel.output()}`);
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
