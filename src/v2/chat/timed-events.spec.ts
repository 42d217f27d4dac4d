import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { KeyFallbackProvider } from './providers/key-fallback';
import { LlmError, type LlmEvent, type LlmProvider } from './providers/llm-provider';
import { LocalProvider } from './providers/local-provider';
import { timedEvents } from './timed-events';

async function* slow(delays: number[], signal?: AbortSignal): AsyncIterable<LlmEvent> {
  for (const [i, ms] of delays.entries()) {
    await sleep(ms, undefined, { signal }).catch(() => undefined);
    if (signal?.aborted) throw new LlmError('aborted', 'aborted');
    yield { type: 'delta', text: String(i) };
  }
}

async function drain(events: AsyncIterable<LlmEvent>): Promise<string> {
  let out = '';
  for await (const e of events) if (e.type === 'delta') out += e.text;
  return out;
}

test('timedEvents passes a timely stream through untouched', async () => {
  let aborted = false;
  assert.equal(
    await drain(timedEvents(slow([5, 5, 5]), { firstMs: 500, idleMs: 500, abort: () => (aborted = true) })),
    '012',
  );
  assert.equal(aborted, false);
});

test('timedEvents fails a late first token and a silent gap, aborting the source', async () => {
  for (const [delays, first] of [
    [[300], true],
    [[0, 300], false],
  ] as const) {
    const ac = new AbortController();
    await assert.rejects(
      drain(timedEvents(slow([...delays], ac.signal), { firstMs: 100, idleMs: 100, abort: () => ac.abort() })),
      (err: unknown) =>
        err instanceof LlmError && err.kind === 'timeout' && (first ? /no text/ : /silent/).test(err.message),
    );
    assert.ok(ac.signal.aborted);
  }
});

function scripted(name: string, outcome: LlmError | string[], calls: string[]): LlmProvider {
  return {
    name,
    defaultModels: { pro: 'p', flash: 'f' },
    async *stream() {
      calls.push(name);
      if (outcome instanceof LlmError) throw outcome;
      for (const text of outcome) yield { type: 'delta', text };
    },
  };
}

test('KeyFallbackProvider moves on for 429/503 before any text, never after', async () => {
  const req = { model: 'f', messages: [], signal: new AbortController().signal };
  const calls: string[] = [];
  const fallbacks: string[] = [];
  const ok = new KeyFallbackProvider(
    [scripted('a', new LlmError('rate_limited', '429', 429), calls), scripted('b', ['hi'], calls)],
    (_p, kind) => fallbacks.push(kind),
  );
  assert.equal(await drain(ok.stream(req)), 'hi');
  assert.deepEqual([calls, fallbacks], [['a', 'b'], ['rate_limited']]);

  const auth = new KeyFallbackProvider(
    [scripted('a', new LlmError('auth', '401', 401), []), scripted('b', ['hi'], [])],
    () => assert.fail('no fallback on 401'),
  );
  await assert.rejects(drain(auth.stream(req)), (e: unknown) => e instanceof LlmError && e.kind === 'auth');

  const midStream: LlmProvider = {
    name: 'a',
    defaultModels: { pro: 'p', flash: 'f' },
    async *stream() {
      yield { type: 'delta', text: 'half' };
      throw new LlmError('unavailable', '503', 503);
    },
  };
  const noRestart = new KeyFallbackProvider([midStream, scripted('b', ['again'], [])], () =>
    assert.fail('no fallback after text'),
  );
  await assert.rejects(drain(noRestart.stream(req)), (e: unknown) => e instanceof LlmError && e.kind === 'unavailable');
});

test('the local reply is a pure function of the conversation', () => {
  const m = [{ role: 'user' as const, content: 'hello' }];
  assert.equal(LocalProvider.reply({ model: 'x', messages: m }), LocalProvider.reply({ model: 'x', messages: [...m] }));
  assert.notEqual(
    LocalProvider.reply({ model: 'x', messages: m }),
    LocalProvider.reply({ model: 'x', messages: [{ role: 'user', content: 'hullo' }] }),
  );
});
