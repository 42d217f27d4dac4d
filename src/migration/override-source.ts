import type { Logger } from '@nestjs/common';
import { GatewayError } from '../errors/gateway-error';
import { createFlagBus, type FlagBus } from '../store/flag-bus';
import type { KeyValueStore } from '../store/key-value-store';
import { STORE_TIMEOUTS } from '../store/redis-client';
import { emptyOverrides, overridesSchema, type Overrides } from './overrides';

export const FLAGS_KEY = 'figway:flags';
const CHANNEL = 'figway:flags';
/** Every key the gateway writes has a TTL; overrides are rewritten on each change, so a year is "until changed". */
const FLAGS_TTL_MS = 365 * 24 * 3600 * 1000;

export interface OverrideListener {
  /** New overrides are in `current`: put them in force, then log `why` with the state. */
  changed(why: string): void;
  /** One line saying what is in force, for the log. */
  summary(): string;
}

/**
 * Operators' overrides as a source of run-time state: persisted in the store under `figway:flags` (read at start
 * and after each resubscription) and spread to every instance over the flag bus. A message older than the state
 * in force is ignored, so a late one never undoes a newer change.
 */
export class OverrideSource {
  current: Overrides = emptyOverrides();
  /** Whether `figway:flags` has been read from the store once since start. */
  read = false;
  private unreadAtStart = false;
  private bus?: FlagBus;

  constructor(
    private readonly store: KeyValueStore,
    /** The store as named in log lines. */
    private readonly storeName: string,
    private readonly log: Logger,
    private readonly listener: OverrideListener,
  ) {}

  /** Subscribes first, so a change published while the overrides are read is not missed. */
  async start(): Promise<void> {
    this.bus = createFlagBus(this.store, CHANNEL);
    this.bus.subscribe(
      (message) => this.receive(message),
      () => void this.loadPersisted(),
    );
    await this.readAtStart();
  }

  async close(): Promise<void> {
    await this.bus?.close();
  }

  /** Persists `next` (the store keeps it for instances that start later), applies it, and tells the others. */
  async commit(next: Overrides): Promise<void> {
    next.version = Math.max(Date.now(), this.current.version + 1);
    const text = JSON.stringify(next);
    try {
      await this.store.set(FLAGS_KEY, Buffer.from(text), FLAGS_TTL_MS);
    } catch (err) {
      throw new GatewayError(
        'FLAG_STORE_UNAVAILABLE',
        'The change was not applied: the store could not keep it for the other instances.',
        { cause: err },
      );
    }
    this.current = next;
    this.listener.changed('flags changed through the admin API');
    // Others that miss the message still read the store when they reconnect.
    await this.bus?.publish(text).catch((err: Error) => this.log.warn(`flag change not published: ${err.message}`));
  }

  private receive(message: string): void {
    let parsed: Overrides;
    try {
      parsed = overridesSchema.parse(JSON.parse(message));
    } catch {
      return;
    }
    if (parsed.version <= this.current.version) return;
    this.current = parsed;
    this.listener.changed('flags changed by an operator');
  }

  /**
   * Bounded by the store's own timeouts (connect, then one command): with the store down the gateway starts
   * anyway, on the environment and the routes file, and stays not ready until a later read succeeds.
   */
  private async readAtStart(): Promise<void> {
    if ((await this.store.connected(STORE_TIMEOUTS.connectMs)) && (await this.readPersisted())) return;
    // A read after the subscription came up may have succeeded meanwhile.
    if (this.read) return;
    this.unreadAtStart = true;
    this.log.warn(
      `persisted overrides (${FLAGS_KEY}) could not be read from the store (${this.storeName}) at start: serving ` +
        'by the environment and the routes file, not ready, until the store answers',
    );
  }

  /** After each (re)subscription: messages missed while away are in the store. */
  private async loadPersisted(attempt = 0): Promise<void> {
    if (await this.readPersisted()) return;
    // Redis may still be connecting: a few tries, then the next reconnect tries again.
    if (attempt < 10) setTimeout(() => void this.loadPersisted(attempt + 1), 200).unref();
  }

  /** One read of `figway:flags`; false when the store did not answer. */
  private async readPersisted(): Promise<boolean> {
    let raw: Buffer | null;
    try {
      raw = await this.store.get(FLAGS_KEY);
    } catch {
      return false;
    }
    if (raw) this.receive(raw.toString('utf8'));
    // After the start-up warning, say when the store finally answered.
    if (!this.read && this.unreadAtStart)
      this.log.log(`persisted overrides read from the store: ${this.listener.summary()}`);
    this.read = true;
    return true;
  }
}
