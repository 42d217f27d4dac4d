import { Logger } from '@nestjs/common';
import type { ConsoleSnapshot } from './snapshot';

export type SnapshotListener = (snapshot: ConsoleSnapshot) => void;

/**
 * One snapshot a second for every open console of this instance: built once per tick and sent to all of them
 * (ten operators watching cost what one does), and no timer at all while nobody watches. A newcomer gets one of its
 * own at once, then joins the ticks.
 */
export class SnapshotFeed {
  private readonly listeners = new Set<SnapshotListener>();
  private timer?: NodeJS.Timeout;
  private building = false;
  private failing = false;
  private readonly log = new Logger('Console');

  constructor(
    private readonly build: () => Promise<ConsoleSnapshot>,
    private readonly everyMs = 1_000,
  ) {}

  get watching(): number {
    return this.listeners.size;
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    void this.build().then(
      (s) => this.listeners.has(listener) && listener(s),
      (err: Error) => this.failed(err),
    );
    this.timer ??= setInterval(() => void this.tick(), this.everyMs).unref();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    // A slow store makes a build last longer than a tick: skip rather than pile builds up.
    if (this.building) return;
    this.building = true;
    try {
      const s = await this.build();
      this.failing = false;
      for (const listener of this.listeners) listener(s);
    } catch (err) {
      this.failed(err as Error);
    } finally {
      this.building = false;
    }
  }

  private failed(err: Error): void {
    if (!this.failing) this.log.warn(`console snapshot failed: ${err.message}`);
    this.failing = true;
  }
}
