import { Pool } from 'undici';
import { splitUpstreamUrl } from '../config/upstream-url';

export interface UpstreamOptions {
  connections: number;
  connectTimeoutMs: number;
  keepAliveTimeoutMs?: number;
}

export interface Upstream {
  readonly origin: string;
  /** The upstream URL's path, put before every request path ('' when it has none): src/config/upstream-url.ts. */
  readonly prefix: string;
  readonly host: string;
  readonly pool: Pool;
  /** Passive health: skipped until this time (ms since epoch) after a connect failure. */
  downUntil: number;
  failures: number;
}

const BASE_COOLDOWN_MS = 1_000;
const MAX_COOLDOWN_MS = 30_000;

/**
 * A set of instances of one upstream with keep-alive pools, round-robin and passive health checks
 * (the nginx `max_fails`/`fail_timeout` idea): an instance that refused or timed out a connect is skipped for a
 * cool-down that doubles while it keeps failing. When all are down the one due back soonest is tried anyway, so
 * a blip never turns into a self-inflicted total outage.
 */
export class UpstreamSet {
  readonly upstreams: Upstream[];
  private next = 0;

  /** `urls`: normalised upstream URLs, an origin with an optional path prefix. */
  constructor(urls: string[], opts: UpstreamOptions) {
    this.upstreams = urls.map((u) => {
      const { origin, prefix } = splitUpstreamUrl(u);
      return {
        origin,
        prefix,
        host: new URL(origin).host,
        pool: new Pool(origin, {
          connections: opts.connections,
          pipelining: 1,
          keepAliveTimeout: opts.keepAliveTimeoutMs ?? 4_000,
          connect: { timeout: opts.connectTimeoutMs },
          // Header and body timeouts are set per request (routes may override them).
          headersTimeout: 0,
          bodyTimeout: 0,
        }),
        downUntil: 0,
        failures: 0,
      };
    });
  }

  /**
   * Round-robin over instances not cooling down. A request with a body cannot be replayed, so it does not probe an
   * instance back from a cool-down (failures > 0) while a proven one exists: bodiless requests do the probing.
   */
  pick(exclude?: Upstream, withBody = false): Upstream {
    const list = this.upstreams;
    if (list.length === 1) return list[0];
    const now = Date.now();
    const usable = (u: Upstream) => u !== exclude && u.downUntil <= now;
    const proven = withBody && list.some((u) => usable(u) && u.failures === 0);
    for (let i = 0; i < list.length; i++) {
      const u = list[(this.next + i) % list.length];
      if (usable(u) && (!proven || u.failures === 0)) {
        this.next = (this.next + i + 1) % list.length;
        return u;
      }
    }
    const others = list.filter((u) => u !== exclude);
    return others.reduce((a, b) => (b.downUntil < a.downUntil ? b : a), others[0] ?? list[0]);
  }

  hasAlternative(to: Upstream): boolean {
    const now = Date.now();
    return this.upstreams.some((u) => u !== to && u.downUntil <= now);
  }

  markDown(u: Upstream): void {
    u.failures++;
    u.downUntil = Date.now() + Math.min(MAX_COOLDOWN_MS, BASE_COOLDOWN_MS * 2 ** (u.failures - 1));
  }

  markUp(u: Upstream): void {
    if (u.failures) {
      u.failures = 0;
      u.downUntil = 0;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.upstreams.map((u) => u.pool.close().catch(() => u.pool.destroy())));
  }
}
