import type { GatewayConfig } from '../config';
import type { CompiledRoute, Target } from '../routing';
import { UpstreamSet } from './upstream-set';

/** One keep-alive pool set per upstream, chosen at boot for each route (never looked up by URL per request). */
export class UpstreamRegistry {
  readonly legacy: UpstreamSet;
  /** By upstream URL (origin and path prefix). */
  private readonly byUrl = new Map<string, UpstreamSet>();

  constructor(private readonly config: GatewayConfig) {
    this.legacy = new UpstreamSet(config.legacyUrls, this.options());
  }

  private options() {
    const u = this.config.upstream;
    return { connections: u.connections, connectTimeoutMs: u.connectTimeoutMs };
  }

  forTarget(target: Target): UpstreamSet {
    if (target.kind === 'upstream') {
      let set = this.byUrl.get(target.url);
      if (!set) this.byUrl.set(target.url, (set = new UpstreamSet([target.url], this.options())));
      return set;
    }
    return this.legacy;
  }

  forRoute(route: CompiledRoute): UpstreamSet {
    return this.forTarget(route.target);
  }

  all(): UpstreamSet[] {
    return [this.legacy, ...this.byUrl.values()];
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((s) => s.close()));
  }
}
