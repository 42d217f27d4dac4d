import { LlmError, type LlmEvent } from './providers/llm-provider';

/**
 * Passes a provider's events through, failing with LlmError('timeout') when the first text takes longer than
 * `firstMs` or the stream then goes silent for `idleMs`. On a timeout (or any early exit) `abort` is called so the
 * provider's HTTP call stops at once instead of running on unobserved.
 */
export async function* timedEvents(
  events: AsyncIterable<LlmEvent>,
  opts: { firstMs: number; idleMs: number; abort: () => void },
): AsyncIterable<LlmEvent> {
  const it = events[Symbol.asyncIterator]();
  let waitingForText = true;
  let finished = false;
  try {
    for (;;) {
      const ms = waitingForText ? opts.firstMs : opts.idleMs;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new LlmError(
                'timeout',
                waitingForText ? `no text from the model within ${ms} ms` : `the model was silent for ${ms} ms`,
              ),
            ),
          ms,
        );
      });
      let step: IteratorResult<LlmEvent>;
      try {
        step = await Promise.race([it.next(), timeout]);
      } finally {
        clearTimeout(timer);
      }
      if (step.done) {
        finished = true;
        return;
      }
      if (step.value.type === 'delta') waitingForText = false;
      yield step.value;
    }
  } finally {
    if (!finished) {
      opts.abort();
      // Not awaited: a generator stuck in a pending next() only returns once that settles, which the abort causes.
      void it.return?.()?.catch(() => undefined);
    }
  }
}
