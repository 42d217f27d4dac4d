import { Logger } from '@nestjs/common';
import type { KeyValueStore } from '../store/key-value-store';

export const BEAT_MS = 10_000;
const MINUTE_MS = 60_000;
/** Three minutes: the current and the last minute are read, with room for clocks a little apart. */
const KEY_TTL_MS = 180_000;

export interface SeenInstance {
  id: string;
  seen_at: string;
}

const keyOf = (minute: number) => `figway:instances:${minute}`;

/**
 * Which gateway instances are alive, for the console: every instance adds 1 to its field of the current minute's
 * hash every 10 s (and at start), and the list is the ids in this minute's and the last minute's hashes, so an
 * instance that stopped drops out within two minutes.
 *
 * `seen_at` is approximate, derived from the beat count alone: for the newest minute an instance beat in,
 * minute start + 10 s x (beats - 1), never later than now. An instance that beat all that minute last beat at most
 * 10 s after it; one that started during the minute later still (its first beats are not at the minute's start).
 * So seen_at is a lower bound, which is the safe side for "is it alive".
 */
export class InstanceBeacon {
  private timer?: NodeJS.Timeout;
  private failing = false;
  private readonly log = new Logger('Instances');

  constructor(
    private readonly store: KeyValueStore,
    readonly id: string,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.beat(), BEAT_MS).unref();
    // Redis connects after the gateway is up (src/store): the first beat waits for it, so a fresh instance shows in
    // the list at once rather than a beat later.
    void this.store.connected(BEAT_MS).then((up) => (up ? this.beat() : undefined));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Instances seen in the current or the last minute, most recently seen first. */
  async seen(now = Date.now()): Promise<SeenInstance[]> {
    const minute = Math.floor(now / MINUTE_MS);
    // Two reads, not one: the two keys may sit on different Redis Cluster slots (readCounts refuses that).
    const [current, previous] = await Promise.all(
      [minute, minute - 1].map(async (m) => (await this.store.readCounts([keyOf(m)]))[0]),
    );
    const seen = new Map<string, number>();
    for (const [hash, m] of [
      [previous, minute - 1],
      [current, minute],
    ] as const)
      for (const [id, beats] of Object.entries(hash))
        seen.set(id, Math.min(now, m * MINUTE_MS + BEAT_MS * (beats - 1)));
    return [...seen]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([id, at]) => ({ id, seen_at: new Date(at).toISOString() }));
  }

  private async beat(): Promise<void> {
    try {
      await this.store.addCounts(keyOf(Math.floor(Date.now() / MINUTE_MS)), { [this.id]: 1 }, KEY_TTL_MS);
      if (this.failing) this.log.log('instance beacon: the store answers again');
      this.failing = false;
    } catch (err) {
      // Once per outage: the store's own log says the rest; the console just misses this instance meanwhile.
      if (!this.failing) this.log.warn(`instance beacon: the store does not answer (${(err as Error).message})`);
      this.failing = true;
    }
  }
}
