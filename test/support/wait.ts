import { once, type EventEmitter } from 'node:events';

export interface WaitOptions {
  /** What is awaited, for the timeout message (default: the check's source text). */
  what?: string;
  /** Pause between two checks. */
  stepMs?: number;
  /** More to say on timeout (the last value seen, a process's output). */
  detail?: () => string | Promise<string>;
}

/**
 * Polls `check` until it returns true and resolves with the milliseconds that took; throws after `timeoutMs`
 * saying what was awaited. A test waits for the event it needs, never a fixed time: a fixed sleep is either too
 * short on a loaded machine (a flaky failure) or longer than needed (a slow suite), and it hides what the test
 * depends on. An error thrown by `check` ends the wait at once.
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  opts: WaitOptions = {},
): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) {
      const what = opts.what ?? `\`${check.toString()}\``;
      const detail = opts.detail ? `\n${await opts.detail()}` : '';
      throw new Error(`waited ${timeoutMs} ms for ${what}: not seen${detail}`);
    }
    await new Promise((r) => setTimeout(r, opts.stepMs ?? 25));
  }
}

/** Resolves with the arguments of the next `event` from `emitter`; throws after `timeoutMs` naming the event. */
export async function waitForEvent(
  emitter: EventEmitter,
  event: string,
  timeoutMs: number,
  what = `'${event}'`,
): Promise<unknown[]> {
  try {
    return await once(emitter, event, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
    throw new Error(`waited ${timeoutMs} ms for ${what}: not seen`, { cause: err });
  }
}
