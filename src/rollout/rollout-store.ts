import { GatewayError } from '../errors/gateway-error';
import { createFlagBus, type FlagBus } from '../store/flag-bus';
import type { KeyValueStore } from '../store/key-value-store';
import { idleState, rolloutStateSchema, type RolloutState } from './rollout-state';

const CHANNEL = 'figway:rollouts';
/** Rewritten on every change, so a year means "until changed" (every key the gateway writes has a TTL). */
const STATE_TTL_MS = 365 * 24 * 3600 * 1000;

export function rolloutKey(route: string): string {
  return `figway:rollout:{${route}}`;
}

/** A state as read, with the exact bytes a compare-and-swap must find to replace it. */
export interface ReadState {
  state: RolloutState;
  raw: Buffer | null;
}

function parse(route: string, raw: Buffer | null): RolloutState {
  if (!raw) return idleState(route);
  const parsed = rolloutStateSchema.safeParse(JSON.parse(raw.toString('utf8')));
  // A state this version cannot read is left alone: nothing is judged on it, an operator's `start` replaces it.
  if (!parsed.success || parsed.data.route !== route) return { ...idleState(route), reason: 'unreadable state' };
  return parsed.data;
}

/**
 * Rollout states in the store, one key per route, changed only by compare-and-swap: the judge and an operator
 * acting at the same moment cannot overwrite each other (the loser re-reads). Each change is published whole to
 * every instance, which puts its weight in force at once; an instance that was away reads the key.
 */
export class RolloutStore {
  private bus?: FlagBus;

  constructor(private readonly store: KeyValueStore) {}

  subscribe(onState: (state: RolloutState) => void, onConnected: () => void): void {
    this.bus = createFlagBus(this.store, CHANNEL);
    this.bus.subscribe((message) => {
      try {
        const parsed = rolloutStateSchema.safeParse(JSON.parse(message));
        if (parsed.success) onState(parsed.data);
      } catch {
        // not ours
      }
    }, onConnected);
  }

  async read(route: string): Promise<ReadState> {
    const raw = await this.store.get(rolloutKey(route));
    return { state: parse(route, raw), raw };
  }

  /** Writes `next` if the key still holds what was read; false when someone changed it meanwhile. */
  async replace(read: ReadState, next: RolloutState): Promise<boolean> {
    const text = JSON.stringify(next);
    if (!(await this.store.swap(rolloutKey(next.route), read.raw, Buffer.from(text), STATE_TTL_MS))) return false;
    await this.bus?.publish(text).catch(() => undefined);
    return true;
  }

  /**
   * Read, change, swap, retried while others change it; for operators' actions, which must not be lost.
   * `change` may throw (a refused action) or return undefined (nothing to do).
   */
  async update(
    route: string,
    change: (s: RolloutState) => RolloutState | undefined,
  ): Promise<RolloutState | undefined> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const read = await this.read(route);
      const next = change(read.state);
      if (!next) return undefined;
      if (await this.replace(read, next)) return next;
    }
    throw new GatewayError('ROLLOUT_CONFLICT', `The rollout of ${route} kept changing; try again.`);
  }

  async close(): Promise<void> {
    await this.bus?.close();
  }
}
