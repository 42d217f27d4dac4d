import { checkCounts, type KeyValueStore } from './key-value-store';

interface Entry {
  value: Buffer;
  expiresAt: number;
  /** When the entry was last moved to the young end of the LRU order. */
  touchedAt: number;
  /**
   * Written by swap or holdLease: state (a rollout, the judge's lease) rather than cache, never evicted for room
   * (a lost rollout state would read as idle); it still expires.
   */
  pinned?: boolean;
}

/** A counter hash (addCounts). */
interface CountHash {
  fields: Map<string, number>;
  expiresAt: number;
  /** What it is taken to weigh in the byte bound: its key, and per field the name and FIELD_BYTES. */
  bytes: number;
}

/** Roughly what a Map entry holding a number costs beyond its key's characters. */
const FIELD_BYTES = 16;

/** A hot entry is moved in the LRU order at most this often: a re-insert per hit is two Map operations. */
const TOUCH_EVERY_MS = 1_000;

/**
 * The single-instance default when REDIS_URL is unset. Bounded by total bytes; the least recently used entries go
 * first (a Map keeps insertion order, and a read re-inserts). Counter hashes count in the bound, roughly, but are
 * never evicted: a lost count would skew a rollout's judgement, and their TTL (minutes) bounds them; over the bound,
 * they push cache entries out instead.
 */
export class MemoryStore implements KeyValueStore {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, Entry>();
  /** Counter hashes (addCounts), beside the values: TTL'd, swept with the rest. */
  private readonly hashes = new Map<string, CountHash>();
  private bytes = 0;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly maxBytes = 256 * 1024 * 1024) {
    this.sweeper = setInterval(() => this.sweep(), 30_000).unref();
  }

  async connected(): Promise<boolean> {
    return true;
  }

  async get(key: string): Promise<Buffer | null> {
    const e = this.entries.get(key);
    if (!e) return null;
    const now = Date.now();
    if (e.expiresAt <= now) {
      this.remove(key, e);
      return null;
    }
    if (now - e.touchedAt >= TOUCH_EVERY_MS) {
      this.entries.delete(key);
      this.entries.set(key, e);
      e.touchedAt = now;
    }
    return e.value;
  }

  async set(key: string, value: Buffer, ttlMs: number, pinned = false): Promise<void> {
    const old = this.entries.get(key);
    if (old) this.remove(key, old);
    if (value.length > this.maxBytes) return;
    const now = Date.now();
    this.entries.set(key, { value, expiresAt: now + Math.max(1, ttlMs), touchedAt: now, pinned });
    this.bytes += value.length + key.length;
    this.evict(key);
  }

  async setIfAbsent(key: string, value: Buffer, ttlMs: number): Promise<boolean> {
    // Check and write in one synchronous step: with an await between them, two concurrent callers could both see
    // the key absent and both "win".
    const e = this.entries.get(key);
    if (e && e.expiresAt > Date.now()) return false;
    void this.set(key, value, ttlMs);
    return true;
  }

  async del(key: string): Promise<boolean> {
    const e = this.entries.get(key);
    if (e) this.remove(key, e);
    return Boolean(e);
  }

  async deleteByPrefix(prefix: string): Promise<number> {
    let n = 0;
    for (const [k, e] of this.entries) {
      if (k.startsWith(prefix)) {
        this.remove(k, e);
        n++;
      }
    }
    return n;
  }

  async addCounts(key: string, counts: Record<string, number>, ttlMs: number): Promise<void> {
    checkCounts(counts);
    const now = Date.now();
    const h = this.liveHash(key, now) ?? this.newHash(key);
    for (const [field, n] of Object.entries(counts)) {
      const had = h.fields.get(field);
      if (had === undefined) {
        h.bytes += field.length + FIELD_BYTES;
        this.bytes += field.length + FIELD_BYTES;
      }
      h.fields.set(field, (had ?? 0) + n);
    }
    h.expiresAt = now + Math.max(1, ttlMs);
    this.evict();
  }

  async readCounts(keys: string[]): Promise<Record<string, number>[]> {
    const now = Date.now();
    return keys.map((key) => {
      const h = this.liveHash(key, now);
      return h ? Object.fromEntries(h.fields) : {};
    });
  }

  async swap(key: string, expected: Buffer | null, next: Buffer, ttlMs: number): Promise<boolean> {
    // Compare and write in one synchronous step, as in setIfAbsent.
    const current = this.live(key);
    if (expected ? !current?.equals(expected) : current) return false;
    void this.set(key, next, ttlMs, true);
    return true;
  }

  async holdLease(key: string, owner: string, ttlMs: number): Promise<boolean> {
    const current = this.live(key);
    if (current && current.toString('utf8') !== owner) return false;
    void this.set(key, Buffer.from(owner), ttlMs, true);
    return true;
  }

  async releaseLease(key: string, owner: string): Promise<void> {
    if (this.live(key)?.toString('utf8') === owner) await this.del(key);
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.entries.clear();
    this.hashes.clear();
    this.bytes = 0;
  }

  /** The value at `key` unless expired; no LRU touch (for compare operations). */
  private live(key: string): Buffer | undefined {
    const e = this.entries.get(key);
    return e && e.expiresAt > Date.now() ? e.value : undefined;
  }

  private remove(key: string, e: Entry): void {
    this.entries.delete(key);
    this.bytes -= e.value.length + key.length;
  }

  /** The hash at `key` unless expired (an expired one is dropped). */
  private liveHash(key: string, now: number): CountHash | undefined {
    const h = this.hashes.get(key);
    if (h && h.expiresAt <= now) this.removeHash(key, h);
    return h && h.expiresAt > now ? h : undefined;
  }

  private newHash(key: string): CountHash {
    const h: CountHash = { fields: new Map(), expiresAt: 0, bytes: key.length };
    this.hashes.set(key, h);
    this.bytes += h.bytes;
    return h;
  }

  private removeHash(key: string, h: CountHash): void {
    this.hashes.delete(key);
    this.bytes -= h.bytes;
  }

  /**
   * Least recently used entries go while over the bound; counter hashes stay (see the class comment). `written`, the
   * entry just set (the youngest), stays too: with the hashes alone over the bound, a swap or a lease that answered
   * true must still be there.
   */
  private evict(written?: string): void {
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes || k === written) break;
      if (!e.pinned) this.remove(k, e);
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.remove(k, e);
    for (const [k, h] of this.hashes) if (h.expiresAt <= now) this.removeHash(k, h);
  }
}
