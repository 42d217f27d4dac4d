import { request } from 'undici';
import type { LegacySession, LegacySessionReader } from './legacy-session';

const CACHE_MS = 5_000;
const MAX_ENTRIES = 10_000;

/**
 * Asks the legacy app who the cookie belongs to (LEGACY_INTROSPECT_PATH, default /api/v1/me), the way a browser
 * would. Answers are cached for 5 s per cookie value: a legacy logout is seen within that time.
 */
export class IntrospectReader implements LegacySessionReader {
  readonly mode = 'introspect' as const;
  private readonly cache = new Map<string, { at: number; session: LegacySession | null }>();

  constructor(
    private readonly opts: {
      legacyBase: () => string;
      path: string;
      cookieName: string;
      userKey: string;
      timeoutMs?: number;
    },
  ) {}

  async read(cookieValue: string): Promise<LegacySession | null> {
    if (!cookieValue || cookieValue.length > 8_192) return null;
    const hit = this.cache.get(cookieValue);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.session;
    const session = await this.ask(cookieValue);
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    this.cache.set(cookieValue, { at: Date.now(), session });
    return session;
  }

  private async ask(cookieValue: string): Promise<LegacySession | null> {
    try {
      const res = await request(this.opts.legacyBase() + this.opts.path, {
        method: 'GET',
        headers: { cookie: `${this.opts.cookieName}=${cookieValue}`, accept: 'application/json' },
        headersTimeout: this.opts.timeoutMs ?? 3_000,
        bodyTimeout: this.opts.timeoutMs ?? 3_000,
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        return null;
      }
      const body = (await res.body.json()) as Record<string, unknown>;
      const id = body?.[this.opts.userKey];
      return id === undefined || id === null || id === '' ? null : { userId: String(id), data: body };
    } catch {
      return null;
    }
  }
}
