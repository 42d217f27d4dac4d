import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { EncryptedStore } from '../../store/encrypted-store';
import type { LegacyHistory } from './legacy-history';
import type { ChatMessage } from './providers/llm-provider';

/** Stored messages per user; older ones drop off (the model sees fewer still, LLM_HISTORY_MESSAGES). */
const MAX_STORED = 200;

export interface Conversation {
  conversation_id: string;
  messages: ChatMessage[];
  /** How many of the first messages came from the legacy session. */
  migrated_from_legacy: number;
}

/**
 * A user's v2 conversation under the seed's `user_session:{user_id}`, sealed with the data cipher (it is personal
 * data), with a TTL refreshed on every use. The first read creates it from the legacy session's history, once:
 * the record is written with SET NX, so two first requests at once (or on two instances) agree on one record and
 * the history is never migrated twice. Writes of one user's concurrent chats are last-writer-wins.
 */
export class ConversationStore {
  constructor(
    private readonly store: EncryptedStore,
    private readonly legacy: LegacyHistory,
    private readonly ttlMs: number,
  ) {}

  private key(userId: string): string {
    return `user_session:${userId}`;
  }

  async load(userId: string, headers: IncomingHttpHeaders): Promise<Conversation> {
    const key = this.key(userId);
    const existing = await this.read(key);
    if (existing) return existing;
    const migrated = await this.legacy.read(userId, headers);
    const fresh: Conversation = {
      conversation_id: randomUUID(),
      messages: migrated,
      migrated_from_legacy: migrated.length,
    };
    if (await this.store.setIfAbsent(key, encode(fresh), this.ttlMs)) return fresh;
    // Another request created it meanwhile: theirs is the record.
    return (await this.read(key)) ?? fresh;
  }

  /** Re-writes the record as it is, to push its expiry back (a read is a use). */
  async touch(userId: string, conversation: Conversation): Promise<void> {
    await this.store.set(this.key(userId), encode(conversation), this.ttlMs);
  }

  async append(userId: string, conversationId: string, added: ChatMessage[]): Promise<void> {
    const key = this.key(userId);
    const current = (await this.read(key)) ?? {
      conversation_id: conversationId,
      messages: [],
      migrated_from_legacy: 0,
    };
    current.messages = [...current.messages, ...added].slice(-MAX_STORED);
    await this.store.set(key, encode(current), this.ttlMs);
  }

  private async read(key: string): Promise<Conversation | null> {
    let raw: Buffer | null;
    try {
      raw = await this.store.get(key, this.ttlMs);
    } catch (err) {
      // Sealed under a key this process no longer has (an ephemeral DATA_ENCRYPTION_KEY before a restart): the
      // record is unreadable for good, so it is dropped rather than failing every chat of this user.
      if ((err as Error).name === 'StoreUnavailableError') throw err;
      await this.store.del(key);
      return null;
    }
    return raw ? (JSON.parse(raw.toString('utf8')) as Conversation) : null;
  }
}

function encode(c: Conversation): Buffer {
  return Buffer.from(JSON.stringify(c));
}
