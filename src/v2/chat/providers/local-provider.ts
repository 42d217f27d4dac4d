import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { LlmError, type LlmEvent, type LlmProvider, type LlmRequest } from './llm-provider';

const WORDS = [
  'lantern',
  'harbour',
  'quietly',
  'river',
  'copper',
  'meadow',
  'promise',
  'winter',
  'story',
  'ember',
  'gentle',
  'compass',
  'orchard',
  'thunder',
  'velvet',
  'signal',
  'garden',
  'morning',
  'echo',
  'granite',
];

/**
 * The embedded default: no key, no network. The reply is a pure function of the conversation (same history and
 * message, same reply), streamed a word at a time with a pause, so `npm start` shows real streaming and tests and
 * benchmarks get stable text.
 */
export class LocalProvider implements LlmProvider {
  readonly name = 'local';
  readonly defaultModels = { pro: 'local-pro', flash: 'local-flash' };

  constructor(private readonly tokenDelayMs: number) {}

  static reply(request: Pick<LlmRequest, 'model' | 'messages'>): string {
    const last = request.messages[request.messages.length - 1]?.content ?? '';
    const digest = createHash('sha256').update(JSON.stringify(request.messages)).digest();
    const picked = Array.from({ length: 6 }, (_, i) => WORDS[digest[i] % WORDS.length]);
    const turn = request.messages.filter((m) => m.role === 'user').length;
    const echo = last.length > 80 ? `${last.slice(0, 77)}...` : last;
    return `You said "${echo}" (turn ${turn}, ${request.model}). ${picked.join(' ')}.`;
  }

  async *stream(request: LlmRequest): AsyncIterable<LlmEvent> {
    const text = LocalProvider.reply(request);
    const tokens = text.match(/\S+\s*/g) ?? [];
    for (const [i, token] of tokens.entries()) {
      if (i > 0 && this.tokenDelayMs > 0) {
        await sleep(this.tokenDelayMs, undefined, { signal: request.signal }).catch(() => undefined);
      }
      if (request.signal.aborted) throw new LlmError('aborted', 'request aborted');
      yield { type: 'delta', text: token };
    }
    const promptWords = request.messages.reduce((n, m) => n + (m.content.match(/\S+/g)?.length ?? 0), 0);
    yield { type: 'usage', usage: { prompt_tokens: promptWords, completion_tokens: tokens.length } };
  }
}
