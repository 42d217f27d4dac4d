import { createHash, randomBytes } from 'node:crypto';
import { GatewayError } from '../errors/gateway-error';
import { StoreUnavailableError, type KeyValueStore } from '../store/key-value-store';

export const SESSION_COOKIE = 'figway_admin';
/** Short-lived on purpose (issue 21): a console left open signs in again after half an hour. */
export const SESSION_TTL_MS = 30 * 60_000;
const KEY_PREFIX = 'figway:admin-session:';
/** 32 random bytes in base64url, unpadded: 43 characters. Anything else is not one of ours; the store is not asked. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export interface AdminSession {
  expiresAt: Date;
}

/**
 * The console's sign-in sessions, kept in the shared store so every instance accepts them. The key holds the
 * SHA-256 of the id, never the id itself: someone who can read the store (a dump, MONITOR) cannot replay a cookie.
 * The value says when the session ends, which the store's TTL enforces as well.
 */
export class AdminSessions {
  constructor(private readonly store: KeyValueStore) {}

  async create(now = Date.now()): Promise<{ id: string; expiresAt: Date }> {
    const id = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now + SESSION_TTL_MS);
    const value = Buffer.from(JSON.stringify({ expires_at: expiresAt.toISOString() }));
    await storeCall(() => this.store.set(keyOf(id), value, SESSION_TTL_MS));
    return { id, expiresAt };
  }

  /** The session named by a cookie value, if it exists and has not ended. */
  async find(id: string | undefined, now = Date.now()): Promise<AdminSession | undefined> {
    if (!id || !SESSION_ID.test(id)) return undefined;
    const raw = await storeCall(() => this.store.get(keyOf(id)));
    if (!raw) return undefined;
    const expiresAt = readExpiry(raw);
    return expiresAt && expiresAt.getTime() > now ? { expiresAt } : undefined;
  }

  async end(id: string | undefined): Promise<void> {
    if (id && SESSION_ID.test(id)) await storeCall(() => this.store.del(keyOf(id)));
  }
}

/** A store that does not answer is a 503 in words, not a 500: the bearer token still works meanwhile. */
async function storeCall<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err;
    throw new GatewayError(
      'SERVICE_UNAVAILABLE',
      'The store holding console sessions did not answer; retry, or use the bearer token.',
      { cause: err },
    );
  }
}

function keyOf(id: string): string {
  return KEY_PREFIX + createHash('sha256').update(id).digest('hex');
}

function readExpiry(raw: Buffer): Date | undefined {
  try {
    const at = new Date((JSON.parse(raw.toString('utf8')) as { expires_at?: unknown }).expires_at as string);
    return Number.isNaN(at.getTime()) ? undefined : at;
  } catch {
    return undefined;
  }
}
