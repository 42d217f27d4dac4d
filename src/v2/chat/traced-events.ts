import type { LlmCallTrace } from '../../telemetry/llm-trace';
import { LlmError, type LlmEvent, type Usage } from './providers/llm-provider';

/** Passes a model call's events through and ends its span with the call: usage on success, the error kind else. */
export async function* tracedEvents(events: AsyncIterable<LlmEvent>, call: LlmCallTrace): AsyncIterable<LlmEvent> {
  let usage: Usage | undefined;
  try {
    for await (const event of events) {
      if (event.type === 'usage') usage = event.usage;
      yield event;
    }
    call.end({ inputTokens: usage?.prompt_tokens, outputTokens: usage?.completion_tokens });
  } catch (err) {
    call.end({ error: err instanceof LlmError ? err.kind : 'broken' });
    throw err;
  } finally {
    // The reader stopped early (client gone, timeout): the call was cut short.
    call.end({ error: 'aborted' });
  }
}
