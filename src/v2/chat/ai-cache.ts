import { createHash } from 'node:crypto';
import type { KeyValueStore } from '../../store/key-value-store';
import type { ChatMessage, Usage } from './providers/llm-provider';

export interface CachedReply {
  text: string;
  usage?: Usage;
}

/**
 * The seed's `ai_cache:{hash}`: a finished reply kept for an identical request (same provider, model and whole
 * message list, history included), so it can only ever be served to someone who sent exactly that conversation.
 * A store failure is a miss, never a failed chat.
 */
export class AiCache {
  constructor(
    private readonly store: KeyValueStore,
    private readonly ttlS: number,
    private readonly onStoreError: () => void,
  ) {}

  get enabled(): boolean {
    return this.ttlS > 0;
  }

  key(provider: string, model: string, messages: ChatMessage[]): string {
    const hash = createHash('sha256')
      .update(JSON.stringify([provider, model, messages]))
      .digest('hex');
    return `ai_cache:${hash}`;
  }

  async get(key: string): Promise<CachedReply | null> {
    try {
      const raw = await this.store.get(key);
      return raw ? (JSON.parse(raw.toString('utf8')) as CachedReply) : null;
    } catch {
      this.onStoreError();
      return null;
    }
  }

  async set(key: string, reply: CachedReply): Promise<void> {
    try {
      await this.store.set(key, Buffer.from(JSON.stringify(reply)), this.ttlS * 1000);
    } catch {
      this.onStoreError();
    }
  }
}
