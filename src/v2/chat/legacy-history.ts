import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'undici';
import type { GatewayConfig } from '../../config';
import type { AuthService } from '../../auth/auth.service';
import { readCookie } from '../../auth/cookies';
import type { ChatMessage } from './providers/llm-provider';

const MAX_MESSAGES = 200;
const MAX_CONTENT = 32_000;

/** Keeps only well-formed {role, content} entries: the legacy session is old data of unknown quality. */
export function cleanHistory(value: unknown): ChatMessage[] {
  if (!Array.isArray(value)) return [];
  const out: ChatMessage[] = [];
  for (const m of value) {
    const role = (m as { role?: unknown })?.role;
    const content = (m as { content?: unknown })?.content;
    if ((role === 'user' || role === 'assistant') && typeof content === 'string' && content.length > 0) {
      out.push({ role, content: content.slice(0, MAX_CONTENT) });
    }
  }
  return out.slice(-MAX_MESSAGES);
}

/**
 * The chat history a user left in the legacy app, read from their legacy session: the session's `chat_history`
 * (flask_cookie, flask_redis), or for `introspect`, which only learns who the cookie belongs to, the legacy app's
 * own history endpoint called with that cookie. Only when the cookie's user is the caller: a JWT for one user
 * sent with another user's cookie migrates nothing. Any failure reads as "no history" (the chat still works).
 */
export class LegacyHistory {
  private next = 0;

  constructor(
    private readonly auth: AuthService,
    private readonly config: GatewayConfig,
  ) {}

  async read(userId: string, headers: IncomingHttpHeaders): Promise<ChatMessage[]> {
    const cookieName = this.config.auth.legacySessionCookie;
    const cookie = readCookie(headers.cookie, cookieName);
    if (!cookie) return [];
    const session = await this.auth.legacySession(headers).catch(() => null);
    if (!session || session.userId !== userId) return [];
    if (this.config.auth.legacySessionMode !== 'introspect') return cleanHistory(session.data?.chat_history);
    const urls = this.config.legacyUrls;
    // An instance's URL with its path prefix, if it has one (LEGACY_URL=http://host/legacy).
    const base = urls[this.next++ % urls.length];
    try {
      const res = await request(base + this.config.llm.legacyHistoryPath, {
        headers: { cookie: `${cookieName}=${cookie}`, accept: 'application/json' },
        headersTimeout: 3_000,
        bodyTimeout: 3_000,
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        return [];
      }
      return cleanHistory(((await res.body.json()) as { messages?: unknown })?.messages);
    } catch {
      return [];
    }
  }
}
