import { checkCounts, type KeyValueStore } from './key-value-store';

interface Entry {
  value: Buffer;
  expiresAt: number;
  /** When the entry was last moved to the young end of the LRU order. */
  touchedAt: number;
}

/** A hot entry is moved in the LRU order at most this often: a re-insert per hit is two Map operations. */
const TOUCH_EVERY_MS = 1_000;

/**
 * The single-instance default when REDIS_URL is unset. Bounded by total bytes; the least recently used entries go
 * first (a Map keeps insertion order, and a read re-inserts).
 */
export class MemoryStore implements KeyValueStore {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, Entry>();
  /** Counter hashes (addCounts): small, TTL'd, swept with the rest; outside the byte bound. */
  private readonly hashes = new Map<string, { fields: Map<string, number>; expiresAt: number }>();
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

  async set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    const old = this.entries.get(key);
    if (old) this.remove(key, old);
    if (value.length > this.maxBytes) return;
    const now = Date.now();
    this.entries.set(key, { value, expiresAt: now + Math.max(1, ttlMs), touchedAt: now });
    this.bytes += value.length + key.length;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(k, e);
    }
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
    let h = this.hashes.get(key);
    if (!h || h.expiresAt <= now) this.hashes.set(key, (h = { fields: new Map(), expiresAt: 0 }));
    for (const [field, n] of Object.entries(counts)) h.fields.set(field, (h.fields.get(field) ?? 0) + n);
    h.expiresAt = now + Math.max(1, ttlMs);
  }

  async readCounts(keys: string[]): Promise<Record<string, number>[]> {
    const now = Date.now();
    return keys.map((key) => {
      const h = this.hashes.get(key);
      return h && h.expiresAt > now ? Object.fromEntries(h.fields) : {};
    });
  }

  async swap(key: string, expected: Buffer | null, next: Buffer, ttlMs: number): Promise<boolean> {
    // Compare and write in one synchronous step, as in setIfAbsent.
    const current = this.live(key);
    if (expected ? !current?.equals(expected) : current) return false;
    void this.set(key, next, ttlMs);
    return true;
  }

  async holdLease(key: string, owner: string, ttlMs: number): Promise<boolean> {
    const current = this.live(key);
    if (current && current.toString('utf8') !== owner) return false;
    void this.set(key, Buffer.from(owner), ttlMs);
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

  private sweep(): void {
    const now = Date.now();
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.remove(k, e);
    for (const [k, h] of this.hashes) if (h.expiresAt <= now) this.hashes.delete(k);
  }
}
