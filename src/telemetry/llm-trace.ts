import { propagation, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { VERSION } from '../version';

/**
 * The client span of one chat model call, made by the chat service rather than by the undici instrumentation:
 * the SDKs (openai, @google/genai) call fetch after awaits of their own, where the request's context is no longer
 * active (see tracing.ts), so the trace headers are handed to the SDK per call instead. Names and attributes
 * follow the OpenTelemetry GenAI semantic conventions (span `chat {model}`, `gen_ai.*`).
 */
export interface LlmCallTrace {
  /** traceparent/tracestate for the model API; undefined when the request is not traced. */
  readonly headers: Record<string, string> | undefined;
  end(outcome: { inputTokens?: number; outputTokens?: number; error?: string }): void;
}

const UNTRACED: LlmCallTrace = { headers: undefined, end: () => {} };
let tracer: Tracer | undefined;

export function traceLlmCall(parent: Context | undefined, call: { provider: string; model: string }): LlmCallTrace {
  const serverSpan = parent && trace.getSpan(parent);
  if (!parent || !serverSpan) return UNTRACED;
  const headers: Record<string, string> = {};
  // Not sampled: the model API still learns the trace id (and that it is not sampled), no span is made.
  if (!serverSpan.isRecording()) {
    propagation.inject(parent, headers);
    return { headers, end: () => {} };
  }
  tracer ??= trace.getTracer('figway', VERSION);
  const span: Span = tracer.startSpan(
    `chat ${call.model}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': call.provider,
        'gen_ai.request.model': call.model,
      },
    },
    parent,
  );
  propagation.inject(trace.setSpan(parent, span), headers);
  let ended = false;
  return {
    headers,
    end(outcome) {
      if (ended) return;
      ended = true;
      if (outcome.inputTokens !== undefined) span.setAttribute('gen_ai.usage.input_tokens', outcome.inputTokens);
      if (outcome.outputTokens !== undefined) span.setAttribute('gen_ai.usage.output_tokens', outcome.outputTokens);
      if (outcome.error) {
        span.setAttribute('error.type', outcome.error);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    },
  };
}
