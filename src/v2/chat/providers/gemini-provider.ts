import { ApiError, GoogleGenAI } from '@google/genai';
import { kindOfStatus, LlmError, type LlmEvent, type LlmProvider, type LlmRequest } from './llm-provider';

function geminiError(err: unknown, signal: AbortSignal): LlmError {
  if (err instanceof LlmError) return err;
  if (signal.aborted) return new LlmError('aborted', 'request aborted');
  if (err instanceof ApiError)
    return new LlmError(kindOfStatus(err.status), `model API answered ${err.status}`, err.status);
  return new LlmError('broken', 'model API stream failed');
}

/** Gemini through the official @google/genai SDK (generateContentStream). One instance per API key. */
export class GeminiProvider implements LlmProvider {
  readonly name = 'gemini';
  readonly defaultModels = { pro: 'gemini-2.5-pro', flash: 'gemini-2.5-flash' };
  private readonly client: GoogleGenAI;

  constructor(opts: { apiKey: string; baseUrl?: string }) {
    // attempts: 1 is "no retries" in the SDK: 429/503 go to the key fallback at once.
    this.client = new GoogleGenAI({
      apiKey: opts.apiKey,
      httpOptions: { baseUrl: opts.baseUrl, retryOptions: { attempts: 1 } },
    });
  }

  async *stream(request: LlmRequest): AsyncIterable<LlmEvent> {
    try {
      const stream = await this.client.models.generateContentStream({
        model: request.model,
        // Gemini names the assistant "model".
        contents: request.messages.map((m) => ({
          role: m.role === 'assistant' ? 'model' : 'user',
          parts: [{ text: m.content }],
        })),
        config: {
          abortSignal: request.signal,
          httpOptions: request.headers ? { headers: request.headers } : undefined,
        },
      });
      let usage: LlmEvent | undefined;
      let finished = false;
      for await (const chunk of stream) {
        const text = chunk.text;
        if (text) yield { type: 'delta', text };
        finished ||= Boolean(chunk.candidates?.[0]?.finishReason);
        const u = chunk.usageMetadata;
        if (u)
          usage = {
            type: 'usage',
            usage: { prompt_tokens: u.promptTokenCount ?? 0, completion_tokens: u.candidatesTokenCount ?? 0 },
          };
      }
      // The last chunk of a finished reply carries its finishReason (the SDK clears it on chunks it will continue
      // from); a stream that ends without one was cut short, and the SDK does not say so.
      if (!finished) throw new LlmError('broken', 'model stream ended without a finish reason');
      // Every chunk repeats the running totals; the last one is the call's.
      if (usage) yield usage;
    } catch (err) {
      throw geminiError(err, request.signal);
    }
  }
}
