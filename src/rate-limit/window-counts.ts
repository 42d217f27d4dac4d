/** One key's fixed window as this instance sees it. */
export interface Window {
  readonly key: string;
  /** The window's count in Redis at the last sync: every instance's admissions that had reached it then. */
  synced: number;
  /** Admitted here and sent in the sync still awaiting its answer. */
  inflight: number;
  /** Admitted here since, not sent yet. */
  pending: number;
  /** When the window ends (epoch ms): Redis's PTTL once synced, this instance's guess before. */
  resetAt: number;
}

/** What `take` decided; `remaining` and `resetMs` feed the RateLimit-* fields. */
export interface Take {
  admitted: boolean;
  remaining: number;
  resetMs: number;
}

/** Admissions of one window on their way to Redis: the window object tells a stale answer from a current one. */
export interface SyncItem {
  window: Window;
  count: number;
}

/**
 * Fixed-window counters kept in this process, for one policy (`points` per `windowMs`), as rate-limiter-flexible
 * keeps them in Redis: a window starts with the key's first counted request and ends `windowMs` later. Alone (no
 * Redis, or Redis down with fail-open) this is an exact per-instance limiter. With Redis, admissions are counted
 * here and pushed in batches (`drain`, then `settle` with Redis's answer), the way Kong's rate limiting counts with
 * `sync_rate`: a request costs no round trip, and each instance decides on the count Redis gave it at its last sync
 * plus what it admitted since. What an instance cannot see is what the others admitted since it last synced, so
 * the instances together can admit more than `points` in a window: at most, per instance, what it received for the
 * key within one sync interval plus a round trip (its view is that old at worst once it has traffic), and never more
 * than `points` each (window-counts.spec.ts checks this bound). Refused requests are not counted: they change nothing
 * before the window ends.
 */
export class WindowCounts {
  private readonly windows = new Map<string, Window>();
  private readonly dirty = new Set<Window>();

  constructor(
    readonly points: number,
    readonly windowMs: number,
  ) {}

  get size(): number {
    return this.windows.size;
  }

  take(key: string, now: number): Take {
    let w = this.windows.get(key);
    if (w === undefined || w.resetAt <= now) {
      if (w !== undefined) this.dirty.delete(w);
      w = { key, synced: 0, inflight: 0, pending: 0, resetAt: now + this.windowMs };
      this.windows.set(key, w);
    }
    const used = w.synced + w.inflight + w.pending;
    if (used >= this.points) return { admitted: false, remaining: 0, resetMs: w.resetAt - now };
    if (w.pending++ === 0) this.dirty.add(w);
    return { admitted: true, remaining: this.points - used - 1, resetMs: w.resetAt - now };
  }

  /** Moves every window's unsent admissions into flight and returns them, one item per window. */
  drain(): SyncItem[] {
    const items: SyncItem[] = [];
    for (const w of this.dirty) {
      items.push({ window: w, count: w.pending });
      w.inflight += w.pending;
      w.pending = 0;
    }
    this.dirty.clear();
    return items;
  }

  /**
   * Redis counted the item: `total` is the window's count there now (everyone's, this item included) and `ttlMs`
   * its time left. An answer for a window that has since ended here is dropped.
   */
  settle(item: SyncItem, total: number, ttlMs: number, now: number): void {
    const w = item.window;
    if (this.windows.get(w.key) !== w) return;
    w.inflight -= item.count;
    w.synced = total;
    w.resetAt = now + ttlMs;
  }

  /** The sync failed: the admissions go back to be sent with the next one (if their window is still current). */
  retry(item: SyncItem): void {
    const w = item.window;
    w.inflight -= item.count;
    if (this.windows.get(w.key) !== w) return;
    if (w.pending === 0) this.dirty.add(w);
    w.pending += item.count;
  }

  /** Forgets ended windows, so memory follows the keys active in the last window, not every key ever seen. */
  sweep(now: number): void {
    for (const [key, w] of this.windows) {
      if (w.resetAt <= now) {
        this.windows.delete(key);
        this.dirty.delete(w);
      }
    }
  }
}
