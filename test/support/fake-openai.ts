import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** How the fake answers the next requests; change it between tests with `fake.behave({...})`. */
export interface FakeBehaviour {
  /** The reply, one `chat.completion.chunk` per entry. */
  chunks: string[];
  /** Pause before the first chunk and between chunks. */
  firstDelayMs: number;
  delayMs: number;
  /** Destroy the connection after this many chunks (a provider dying mid-stream). */
  dieAfter?: number;
  /** Stop sending after this many chunks and keep the connection open (0: never send a chunk). */
  hangAfter?: number;
  /** End the response cleanly after this many chunks: no finish_reason chunk, no usage, no `[DONE]`. */
  truncateAfter?: number;
  /** Status to answer (with an OpenAI-style error body) when the request carries this API key. */
  statusForKey: Record<string, number>;
}

export interface RecordedRequest {
  /** The bearer key the SDK sent. */
  key: string;
  path: string;
  body: { model: string; stream?: boolean; messages: { role: string; content: string }[] };
  at: number;
  /** When the gateway closed the request's connection or aborted it (Date.now()). */
  closedAt?: number;
  /** Chunks written before the close. */
  sent: number;
  /** The W3C trace context the call carried, if any. */
  traceparent?: string;
}

export interface FakeOpenAi {
  /** The OPENAI_BASE_URL to give the gateway (ends in /v1, as the SDK expects). */
  baseUrl: string;
  requests: RecordedRequest[];
  behave(b: Partial<FakeBehaviour>): void;
  reset(): void;
  close(): Promise<void>;
  server: Server;
}

const DEFAULTS: FakeBehaviour = {
  chunks: ['Hello', ' from', ' the', ' fake.'],
  firstDelayMs: 0,
  delayMs: 0,
  statusForKey: {},
};

/**
 * A real OpenAI-compatible Chat Completions server on a free port: `POST /v1/chat/completions` with
 * `stream: true` answers text/event-stream `data: {chat.completion.chunk}` lines, a usage chunk and `data: [DONE]`
 * (the wire format the openai SDK parses); without `stream` it answers one chat.completion object.
 */
export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  let behaviour: FakeBehaviour = { ...DEFAULTS };
  const requests: RecordedRequest[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
      return;
    }
    const b = behaviour;
    const record: RecordedRequest = {
      key: String(req.headers.authorization ?? '').replace(/^Bearer /, ''),
      path: req.url,
      body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      at: Date.now(),
      sent: 0,
      traceparent: req.headers.traceparent as string | undefined,
    };
    requests.push(record);
    res.on('close', () => (record.closedAt ??= Date.now()));
    const status = b.statusForKey[record.key];
    if (status) {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: {
            message: `fake status ${status}`,
            type: status === 429 ? 'rate_limit_error' : 'server_error',
            code: null,
          },
        }),
      );
      return;
    }
    const id = `chatcmpl-fake${requests.length}`;
    const created = Math.floor(Date.now() / 1000);
    const model = record.body.model;
    if (!record.body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: b.chunks.join('') }, finish_reason: 'stop' }],
        }),
      );
      return;
    }
    const chunk = (delta: object, finish: string | null, extra: object = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    for (let i = 0; i < b.chunks.length; i++) {
      await sleep(i === 0 ? b.firstDelayMs : b.delayMs);
      if (res.destroyed) return;
      if (b.dieAfter === i) {
        res.socket?.destroy();
        return;
      }
      if (b.hangAfter === i) return;
      if (b.truncateAfter === i) {
        res.end();
        return;
      }
      res.write(chunk(i === 0 ? { role: 'assistant', content: b.chunks[i] } : { content: b.chunks[i] }, null));
      record.sent++;
    }
    if (b.dieAfter === b.chunks.length) {
      res.socket?.destroy();
      return;
    }
    if (b.hangAfter === b.chunks.length) return;
    res.write(chunk({}, 'stop'));
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: { prompt_tokens: 11, completion_tokens: b.chunks.length, total_tokens: 11 + b.chunks.length } })}\n\n`,
    );
    res.end('data: [DONE]\n\n');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`,
    requests,
    server,
    behave(next) {
      behaviour = { ...behaviour, ...next };
    },
    reset() {
      behaviour = { ...DEFAULTS };
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
