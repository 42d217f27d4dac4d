import { Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { OutgoingHttpHeaders } from 'node:http';
import type { AuthedRequest } from '../../auth/auth.guard';
import type { LlmConfig } from '../../config';
import { GatewayError } from '../../errors/gateway-error';
import { toProblem } from '../../errors/problem';
import type { GatewayMetrics } from '../../telemetry/metrics';
import type { AiCache, CachedReply } from './ai-cache';
import type { ChatBody } from './chat-request';
import type { Conversation, ConversationStore } from './conversation-store';
import { LlmError, type ChatMessage, type LlmEvent, type LlmProvider, type Usage } from './providers/llm-provider';
import { SseStream } from './sse-stream';
import { timedEvents } from './timed-events';
import { tracedEvents } from './traced-events';
import { markFirstByte } from '../../telemetry/first-byte';
import { traceLlmCall } from '../../telemetry/llm-trace';
import { inRequestTrace, traceContextOf } from '../../telemetry/request-trace';

/** The conversation id of a turn answered while the store was down: nothing is checked against it or saved. */
const UNSAVED = 'unsaved';

/** What the client sees when the model fails (README, v2 chat): a stable code per kind of failure. */
function problemFor(err: unknown): GatewayError {
  if (err instanceof LlmError) {
    if (err.kind === 'timeout') return new GatewayError('LLM_TIMEOUT', 'The model did not answer in time. Try again.');
    if (err.keyMayHelp) {
      return new GatewayError(
        'LLM_UNAVAILABLE',
        'The model is unavailable right now (rate limited or overloaded). Try again shortly.',
        {
          extra: { retry_after_s: 30 },
        },
      );
    }
  }
  return new GatewayError('LLM_FAILED', 'The model failed to answer.');
}

/** Splits a stored reply into the word-sized deltas a live model would have sent. */
async function* replay(cached: CachedReply): AsyncIterable<LlmEvent> {
  for (const text of cached.text.match(/\s*\S+\s*/g) ?? []) yield { type: 'delta', text };
  if (cached.usage) yield { type: 'usage', usage: cached.usage };
}

interface Outcome {
  text: string;
  usage: Usage;
}

/**
 * One chat turn: the user's conversation (migrated from legacy on first use), the model tier, the AI cache, the
 * model call with its timeouts, and the answer as SSE or one JSON object. The client leaving aborts the model call.
 */
export class ChatService {
  private readonly log = new Logger('Chat');

  constructor(
    private readonly config: LlmConfig,
    private readonly provider: LlmProvider,
    private readonly conversations: ConversationStore,
    private readonly cache: AiCache,
    private readonly metrics: GatewayMetrics,
  ) {}

  modelFor(tier: 'pro' | 'flash'): string {
    return tier === 'pro'
      ? (this.config.modelPro ?? this.provider.defaultModels.pro)
      : (this.config.modelFlash ?? this.provider.defaultModels.flash);
  }

  async history(request: AuthedRequest): Promise<{ messages: ChatMessage[]; conversation_id: string }> {
    const userId = request.figwayUser!.userId;
    const conversation = await this.loadConversation(userId, request);
    await inRequestTrace(request, () => this.conversations.touch(userId, conversation)).catch(() =>
      this.metrics.storeErrors.inc({ user: 'chat' }),
    );
    return { messages: conversation.messages, conversation_id: conversation.conversation_id };
  }

  async chat(request: AuthedRequest, reply: FastifyReply, body: ChatBody): Promise<void> {
    const started = process.hrtime.bigint();
    const userId = request.figwayUser!.userId;
    const conversation = await this.loadConversation(userId, request);
    const saved = conversation.conversation_id !== UNSAVED;
    if (saved && body.conversation_id && body.conversation_id !== conversation.conversation_id) {
      throw new GatewayError(
        'NOT_FOUND',
        'No such conversation for this user; omit conversation_id to continue the current one.',
      );
    }
    const userMessage: ChatMessage = { role: 'user', content: body.message };
    const history = this.config.historyMessages > 0 ? conversation.messages.slice(-this.config.historyMessages) : [];
    const messages = [...history, userMessage];
    const size = messages.reduce((n, m) => n + m.content.length, 0);
    const model = this.modelFor(body.model ?? (size > this.config.proThresholdChars ? 'pro' : 'flash'));

    // Aborted when the client goes away ('close' before the response finished) or a timeout fires.
    const abort = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) abort.abort();
    };
    reply.raw.once('close', onClose);
    // Gone already while the conversation was being read: 'close' was emitted before anyone listened.
    if (request.raw.socket?.destroyed) abort.abort();

    const cacheKey = this.cache.enabled ? this.cache.key(this.provider.name, model, messages) : undefined;
    const cached = cacheKey ? await inRequestTrace(request, () => this.cache.get(cacheKey)) : null;
    this.metrics.chatCache.inc({ result: !cacheKey ? 'bypass' : cached ? 'hit' : 'miss' });
    const source = cached ? replay(cached) : this.modelCall(request, model, messages, abort);
    const done = (outcome: Outcome) => ({ conversation_id: conversation.conversation_id, model, usage: outcome.usage });
    const finish = async (outcome: Outcome) => {
      if (!cached) {
        this.metrics.chatTokens.inc({ provider: this.provider.name, model }, outcome.usage.completion_tokens);
        if (cacheKey)
          await inRequestTrace(request, () => this.cache.set(cacheKey, { text: outcome.text, usage: outcome.usage }));
      }
      // Saved before `done` goes out: a client that reads the history right after sees this turn.
      if (!saved) return;
      await inRequestTrace(request, () =>
        this.conversations.append(userId, conversation.conversation_id, [
          userMessage,
          { role: 'assistant', content: outcome.text },
        ]),
      ).catch(() => this.metrics.storeErrors.inc({ user: 'chat' }));
    };

    try {
      if (wantsJson(request)) {
        const outcome = await this.collect(source, started, Boolean(cached), abort.signal);
        await finish(outcome);
        if (!abort.signal.aborted)
          await reply.code(200).send({ reply: outcome.text, conversation_id: conversation.conversation_id, model });
        return;
      }
      await this.stream(request, reply, source, started, Boolean(cached), abort.signal, async (outcome, sse) => {
        await finish(outcome);
        sse.event('done', done(outcome));
      });
    } catch (err) {
      throw this.failed(err);
    } finally {
      reply.raw.off('close', onClose);
    }
  }

  /**
   * The model call with its timeouts, traced as a child of the request: the trace headers go to the SDK with the
   * call (the request's context is not active by the time the SDK sends it).
   */
  private modelCall(
    request: AuthedRequest,
    model: string,
    messages: ChatMessage[],
    abort: AbortController,
  ): AsyncIterable<LlmEvent> {
    const call = traceLlmCall(traceContextOf(request), { provider: this.provider.name, model });
    const events = this.provider.stream({ model, messages, signal: abort.signal, headers: call.headers });
    return tracedEvents(
      timedEvents(events, {
        firstMs: this.config.firstTokenTimeoutMs,
        idleMs: this.config.idleTimeoutMs,
        abort: () => abort.abort(),
      }),
      call,
    );
  }

  private async stream(
    request: AuthedRequest,
    reply: FastifyReply,
    source: AsyncIterable<LlmEvent>,
    started: bigint,
    fromCache: boolean,
    signal: AbortSignal,
    onDone: (outcome: Outcome, sse: SseStream) => Promise<void>,
  ): Promise<void> {
    // From here on the response is ours: Fastify still runs onResponse (metrics, access log) when it finishes.
    reply.hijack();
    const sse = new SseStream(reply.raw, this.config.keepAliveMs);
    sse.open(reply.getHeaders() as OutgoingHttpHeaders);
    markFirstByte(reply);
    this.metrics.sseStreamsOpen.inc();
    try {
      const outcome = await this.consume(source, started, fromCache, signal, (text) => sse.event('delta', { text }));
      await onDone(outcome, sse);
    } catch (err) {
      const problem = this.failed(err);
      // Nobody is listening any more: nothing to write.
      if (!signal.aborted || !(err instanceof LlmError && err.kind === 'aborted')) {
        sse.event('error', toProblem(problem, request.id, request.url.split('?')[0]));
      }
    } finally {
      sse.end();
      this.metrics.sseStreamsOpen.dec();
      // Fastify runs onResponse (request metrics, access log) on the response's 'finish' or 'error'; a client that
      // hung up mid-stream gives neither, so the stream would go uncounted. Its status is the 200 already sent, as
      // the forwarder reports a proxied stream cut short.
      if (!reply.raw.writableFinished && reply.raw.listenerCount('error') > 0)
        reply.raw.emit('error', new Error('client closed the stream'));
    }
  }

  private async collect(
    source: AsyncIterable<LlmEvent>,
    started: bigint,
    fromCache: boolean,
    signal: AbortSignal,
  ): Promise<Outcome> {
    return this.consume(source, started, fromCache, signal, () => undefined);
  }

  /** Reads the events to the end, handing each text on as it comes; the reply's text and usage at the end. */
  private async consume(
    source: AsyncIterable<LlmEvent>,
    started: bigint,
    fromCache: boolean,
    signal: AbortSignal,
    onText: (text: string) => void,
  ): Promise<Outcome> {
    let text = '';
    let deltas = 0;
    let usage: Usage | undefined;
    for await (const event of source) {
      if (signal.aborted) throw new LlmError('aborted', 'client went away');
      if (event.type === 'usage') {
        usage = event.usage;
        continue;
      }
      if (deltas++ === 0 && !fromCache) {
        this.metrics.chatFirstToken.observe(
          { provider: this.provider.name },
          Number(process.hrtime.bigint() - started) / 1e9,
        );
      }
      text += event.text;
      onText(event.text);
    }
    if (signal.aborted) throw new LlmError('aborted', 'client went away');
    if (!text) throw new LlmError('broken', 'the model returned no text');
    return { text, usage: usage ?? { prompt_tokens: 0, completion_tokens: deltas } };
  }

  /** Counts and logs a failed turn (never with message text or keys) and returns what the client is told. */
  private failed(err: unknown): GatewayError {
    if (err instanceof GatewayError) return err;
    const kind = err instanceof LlmError ? err.kind : 'broken';
    if (kind !== 'aborted') {
      this.metrics.chatProviderErrors.inc({ provider: this.provider.name, kind });
      this.log.warn(`model call failed: ${kind}${err instanceof LlmError && err.status ? ` (${err.status})` : ''}`);
      if (!(err instanceof LlmError)) this.log.error(err);
    }
    return problemFor(err);
  }

  private async loadConversation(userId: string, request: AuthedRequest): Promise<Conversation> {
    try {
      return await inRequestTrace(request, () => this.conversations.load(userId, request.headers));
    } catch {
      // Store down: the chat still answers, without memory, and nothing is migrated (it will be, once it is back).
      this.metrics.storeErrors.inc({ user: 'chat' });
      return { conversation_id: UNSAVED, messages: [], migrated_from_legacy: 0 };
    }
  }
}

/** `Accept: application/json` (and not text/event-stream) asks for one JSON object instead of the stream. */
function wantsJson(request: AuthedRequest): boolean {
  const accept = String(request.headers.accept ?? '');
  return accept.includes('application/json') && !accept.includes('text/event-stream');
}
