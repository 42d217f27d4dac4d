import { z } from 'zod';

export type RedisTarget =
  | { mode: 'single'; url: string }
  | { mode: 'cluster'; nodes: { host: string; port: number }[]; username?: string; password?: string; tls: boolean }
  | {
      mode: 'sentinel';
      sentinels: { host: string; port: number }[];
      name: string;
      username?: string;
      password?: string;
      tls: boolean;
    };

const MULTI = /^(rediss?)\+(cluster|sentinel):\/\/(?:([^@/]*)@)?([^/?#]+)(?:\/([^?#]*))?$/;

function hosts(list: string, defaultPort: number) {
  return list.split(',').map((hp) => {
    const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(hp.trim());
    if (!m) throw new Error(`bad host ${hp}`);
    return { host: m[1], port: m[2] ? Number(m[2]) : defaultPort };
  });
}

function credentials(userinfo: string | undefined) {
  if (!userinfo) return {};
  const [user, pass] = userinfo.split(':', 2).map(decodeURIComponent);
  if (pass === undefined) return { password: user };
  return user ? { username: user, password: pass } : { password: pass };
}

/**
 * REDIS_URL forms: `redis://[:pass@]host:port[/db]` (or rediss://) for one server,
 * `redis+cluster://[:pass@]h1:p1,h2:p2` for Redis Cluster seeds, `redis+sentinel://[:pass@]s1:p1,s2:p2/<master>`
 * for Sentinel. The `+cluster`/`+sentinel` schemes follow the convention of other Redis clients' URL parsers.
 */
export const redisUrlSchema = z.string().transform((v, ctx): RedisTarget => {
  const m = MULTI.exec(v);
  try {
    if (!m) {
      const u = new URL(v);
      if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error('scheme');
      return { mode: 'single', url: v };
    }
    const [, scheme, mode, userinfo, hostList, path] = m;
    const tls = scheme === 'rediss';
    if (mode === 'cluster') return { mode, nodes: hosts(hostList, 6379), tls, ...credentials(userinfo) };
    if (!path) throw new Error('sentinel needs /<master name>');
    return {
      mode: 'sentinel',
      sentinels: hosts(hostList, 26379),
      name: decodeURIComponent(path),
      tls,
      ...credentials(userinfo),
    };
  } catch (err) {
    ctx.addIssue({
      code: 'custom',
      message: `must be redis://host:port, rediss://..., redis+cluster://h1:p1,h2:p2 or redis+sentinel://s1:p1,s2:p2/master (${(err as Error).message})`,
    });
    return z.NEVER;
  }
});

/** Where the store is, for log lines: hosts and mode, never the credentials a URL may carry. */
export function redisTargetName(t: RedisTarget): string {
  const list = (hs: { host: string; port: number }[]) => hs.map((h) => `${h.host}:${h.port}`).join(',');
  switch (t.mode) {
    case 'single':
      return `redis ${new URL(t.url).host}`;
    case 'cluster':
      return `redis cluster ${list(t.nodes)}`;
    case 'sentinel':
      return `redis sentinel ${list(t.sentinels)} (master ${t.name})`;
  }
}
