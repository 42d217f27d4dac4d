import OpenAI from 'openai';
import { kindOfStatus, LlmError, type LlmEvent, type LlmProvider, type LlmRequest } from './llm-provider';

/** Turns whatever the SDK threw into an LlmError; the message never carries the key (the SDK redacts it anyway). */
export function openAiError(err: unknown, signal: AbortSignal): LlmError {
  if (err instanceof LlmError) return err;
  if (signal.aborted || err instanceof OpenAI.APIUserAbortError) return new LlmError('aborted', 'request aborted');
  if (err instanceof OpenAI.APIConnectionTimeoutError) return new LlmError('timeout', 'model API timed out');
  if (err instanceof OpenAI.APIError) {
    const status = typeof err.status === 'number' ? err.status : undefined;
    return new LlmError(
      status === undefined ? 'broken' : kindOfStatus(status),
      `model API answered ${status ?? 'an error'}`,
      status,
    );
  }
  return new LlmError('broken', 'model API stream failed');
}

/**
 * The official SDK against OPENAI_BASE_URL: any server speaking the Chat Completions streaming protocol
 * (`stream: true`, `chat.completion.chunk` events). One instance per API key.
 */
export class OpenAiProvider implements LlmProvider {
  readonly name = 'openai';
  readonly defaultModels = { pro: 'gpt-4.1', flash: 'gpt-4.1-mini' };
  private readonly client: OpenAI;

  constructor(opts: { apiKey: string; baseUrl?: string }) {
    // No SDK retries: a 429 must reach the key fallback now, not after the SDK's backoff, and be counted.
    // The timeout is a backstop; the chat service's first-token and idle timers are the real limits.
    this.client = new OpenAI({ apiKey: opts.apiKey, baseURL: opts.baseUrl, maxRetries: 0, timeout: 600_000 });
  }

  async *stream(request: LlmRequest): AsyncIterable<LlmEvent> {
    try {
      const stream = await this.client.chat.completions.create(
        { model: request.model, messages: request.messages, stream: true, stream_options: { include_usage: true } },
        { signal: request.signal, headers: request.headers },
      );
      let finished = false;
      for await (const chunk of stream) {
        const choice = chunk.choices?.[0];
        const text = choice?.delta?.content;
        if (text) yield { type: 'delta', text };
        finished ||= Boolean(choice?.finish_reason);
        if (chunk.usage) {
          yield {
            type: 'usage',
            usage: { prompt_tokens: chunk.usage.prompt_tokens, completion_tokens: chunk.usage.completion_tokens },
          };
        }
      }
      // The SDK ends quietly when the connection closes before `[DONE]`; only the finish_reason chunk says the
      // model finished. Without it the reply was cut short, however cleanly the server hung up.
      if (!finished) throw new LlmError('broken', 'model stream ended without a finish reason');
    } catch (err) {
      throw openAiError(err, request.signal);
    }
  }
}
