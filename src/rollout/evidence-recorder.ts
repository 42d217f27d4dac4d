import type { KeyValueStore } from '../store/key-value-store';
import { emptyEvidence, fromFields, recordInto, toFields, type Evidence } from './evidence';

/** One bucket per route and second; kept long enough for the console's 5-minute share and a judge that was away. */
export const EVIDENCE_TTL_MS = 15 * 60 * 1000;

/** The hash tag `{route}` keeps a route's buckets in one Redis Cluster slot, so one pipeline reads a stretch. */
export function evidenceKey(route: string, second: number): string {
  return `figway:evidence:{${route}}:${second}`;
}

/** The buckets of `seconds` for one route, all instances summed by the store; one round trip (one hash tag). */
export async function readEvidence(store: KeyValueStore, route: string, seconds: number[]): Promise<Evidence[]> {
  const hashes = await store.readCounts(seconds.map((second) => evidenceKey(route, second)));
  return hashes.map(fromFields);
}

/** How a metrics target label maps to a side of the route (src/migration/route-sides.ts labels them). */
const SIDE_OF_TARGET: Record<string, 'legacy' | 'new' | 'fallback' | undefined> = {
  legacy: 'legacy',
  upstream: 'new',
  module: 'new',
  fallback: 'fallback',
};

/**
 * This instance's share of the evidence: counted in memory per second, added to the store's bucket for that
 * second once it is over (one round trip per route and second, never one per request). The store sums the
 * instances (HINCRBY). A store that fails loses that second's counts, and the judge holds rather than guess.
 */
export class EvidenceRecorder {
  private current = new Map<string, Evidence>();
  private second = Math.floor(Date.now() / 1000);
  private timer?: NodeJS.Timeout;
  private failing = false;

  constructor(
    private readonly store: KeyValueStore,
    /** The routes that can change side: the only ones counted. */
    private readonly routes: ReadonlySet<string>,
    private readonly log: { warn(msg: string): void; log(msg: string): void },
  ) {}

  /** A client request answered (from the metrics observer): the new side's errors include fallbacks to legacy. */
  request(route: string, target: string, status: number, seconds: number): void {
    const side = SIDE_OF_TARGET[target];
    if (!side || !this.routes.has(route)) return;
    const ev = this.evidenceOf(route);
    if (side === 'legacy') recordInto(ev.legacy, seconds * 1000, false);
    else {
      recordInto(ev.new, seconds * 1000, side === 'fallback' || status >= 500);
      if (side === 'fallback') ev.fallback++;
    }
  }

  /**
   * A shadow copy finished (src/migration/shadow.ts): one sent to the new side is its step-0 sample (status 0: it
   * failed); a comparison counts whichever way the copy went, except a copy the new side failed. That one is an
   * error, not a difference in behaviour: counted as a diff too, a new side that starts answering 5xx at step 25
   * was rolled back on max_diff_rate (the legacy-served 75% shadows three times what the new side serves) and the
   * decision named the wrong gate; at step 0 one failure counted against two gates.
   */
  shadow(route: string, side: string, status: number, ms: number, result: 'same' | 'diff' | 'none'): void {
    if (!this.routes.has(route)) return;
    const ev = this.evidenceOf(route);
    const failed = status === 0 || status >= 500;
    if (side === 'new') recordInto(ev.shadow, ms, failed);
    if (result !== 'none' && !(side === 'new' && failed)) ev[result]++;
  }

  start(): void {
    const tick = () => {
      this.timer = setTimeout(tick, 1000 - (Date.now() % 1000)).unref();
      void this.flush(Math.floor(Date.now() / 1000));
    };
    this.timer = setTimeout(tick, 1000 - (Date.now() % 1000)).unref();
  }

  /** Writes what is counted; `now` is the second that begins (the counts belong to the one before). */
  async flush(now = Math.floor(Date.now() / 1000) + 1): Promise<void> {
    const done = this.current;
    const second = this.second;
    this.current = new Map();
    this.second = now;
    if (done.size === 0) return;
    try {
      await Promise.all(
        [...done].map(([route, ev]) => this.store.addCounts(evidenceKey(route, second), toFields(ev), EVIDENCE_TTL_MS)),
      );
      if (this.failing) this.log.log('rollout evidence reaches the store again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.log.warn(`rollout evidence not stored: ${(err as Error).message}`);
      this.failing = true;
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    await this.flush();
  }

  private evidenceOf(route: string): Evidence {
    let ev = this.current.get(route);
    if (!ev) this.current.set(route, (ev = emptyEvidence()));
    return ev;
  }
}
