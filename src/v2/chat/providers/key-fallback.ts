import { LlmError, type LlmErrorKind, type LlmEvent, type LlmProvider, type LlmRequest } from './llm-provider';

/**
 * The runbook's "AI API 503/429 -> switch to the fallback key", per request: the same provider with the primary
 * key, then with the fallback key, moving on only while nothing was streamed (a reply can't be restarted once the
 * client has part of it).
 */
export class KeyFallbackProvider implements LlmProvider {
  readonly name: string;
  readonly defaultModels: { pro: string; flash: string };

  constructor(
    private readonly keys: LlmProvider[],
    /** Told of each key given up on (the error is counted there), before the next key is tried. */
    private readonly onFallback: (provider: string, kind: LlmErrorKind) => void,
  ) {
    this.name = keys[0].name;
    this.defaultModels = keys[0].defaultModels;
  }

  async *stream(request: LlmRequest): AsyncIterable<LlmEvent> {
    for (let i = 0; ; i++) {
      let streamed = false;
      try {
        for await (const event of this.keys[i].stream(request)) {
          streamed ||= event.type === 'delta';
          yield event;
        }
        return;
      } catch (err) {
        const last = i === this.keys.length - 1;
        if (streamed || last || !(err instanceof LlmError) || !err.keyMayHelp || request.signal.aborted) throw err;
        this.onFallback(this.name, err.kind);
      }
    }
  }
}
