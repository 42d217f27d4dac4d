/** One message of a conversation, in the shape every chat API shares. */
export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** What a provider yields: text as the model speaks it, and (usually last) what the call cost. */
export type LlmEvent = { type: 'delta'; text: string } | { type: 'usage'; usage: Usage };

export interface LlmRequest {
  model: string;
  messages: ChatMessage[];
  /** Aborted when the client leaves or a timeout fires: the provider must stop its HTTP call at once. */
  signal: AbortSignal;
  /** Extra fields for the model API's HTTP request: the trace context (traceparent, tracestate), when traced. */
  headers?: Record<string, string>;
}

/**
 * A chat model behind one small interface. Implementations throw LlmError (never SDK errors) so the service can
 * decide on fallback and on what the client sees without knowing any SDK.
 */
export interface LlmProvider {
  /** `local`, `openai` or `gemini`: the metrics' provider label. */
  readonly name: string;
  readonly defaultModels: { pro: string; flash: string };
  stream(request: LlmRequest): AsyncIterable<LlmEvent>;
}

export const LLM_ERROR_KINDS = [
  'rate_limited',
  'unavailable',
  'timeout',
  'auth',
  'bad_request',
  'broken',
  'aborted',
] as const;
export type LlmErrorKind = (typeof LLM_ERROR_KINDS)[number];

export class LlmError extends Error {
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'LlmError';
  }

  /** 429 and 503 are about this key or this moment (RFC 9110 15.6.4, RFC 6585 4): another key may well succeed. */
  get keyMayHelp(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'unavailable';
  }
}

/** Maps an HTTP status from a model API to a kind; shared by the SDK adapters. */
export function kindOfStatus(status: number | undefined): LlmErrorKind {
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'unavailable';
  if (status === 401 || status === 403) return 'auth';
  if (status === 408 || status === 504) return 'timeout';
  if (status !== undefined && status >= 400 && status < 500) return 'bad_request';
  return 'broken';
}
