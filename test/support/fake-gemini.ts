import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface GeminiCall {
  key: string;
  path: string;
  body: { contents: { role: string; parts: { text: string }[] }[] };
  closedAt?: number;
}

/**
 * A real Gemini-API-shaped server on a free port: `POST /v1beta/models/{model}:streamGenerateContent?alt=sse`
 * answers `data: {GenerateContentResponse}` events; a key listed in `statusForKey` gets that status with a
 * google.rpc error body, as the public API does.
 */
export async function startFakeGemini(): Promise<{
  baseUrl: string;
  calls: GeminiCall[];
  /** `truncateAfter`: end the response cleanly after this many chunks, none of them with a finishReason. */
  behave(b: {
    chunks?: string[];
    delayMs?: number;
    statusForKey?: Record<string, number>;
    truncateAfter?: number;
  }): void;
  close(): Promise<void>;
  server: Server;
}> {
  let chunks = ['Gemini', ' says', ' hi.'];
  let delayMs = 0;
  let statusForKey: Record<string, number> = {};
  let truncateAfter: number | undefined;
  const calls: GeminiCall[] = [];
  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    const call: GeminiCall = {
      key: String(req.headers['x-goog-api-key'] ?? ''),
      path: req.url ?? '',
      body: JSON.parse(Buffer.concat(parts).toString() || '{}'),
    };
    calls.push(call);
    res.on('close', () => (call.closedAt ??= Date.now()));
    if (!/^\/v1beta\/models\/[^/:]+:streamGenerateContent\?alt=sse$/.test(call.path)) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"error":{"code":404,"message":"not found","status":"NOT_FOUND"}}');
      return;
    }
    const status = statusForKey[call.key];
    if (status) {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: {
            code: status,
            message: 'fake refusal',
            status: status === 429 ? 'RESOURCE_EXHAUSTED' : 'UNAVAILABLE',
          },
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const [i, text] of chunks.entries()) {
      if (i) await new Promise((r) => setTimeout(r, delayMs));
      if (res.destroyed) return;
      if (truncateAfter === i) break;
      const usageMetadata = { promptTokenCount: 5, candidatesTokenCount: i + 1, totalTokenCount: 6 + i };
      // The API marks the last chunk of a finished reply with its finishReason.
      const last = i === chunks.length - 1 && truncateAfter === undefined;
      const candidate = {
        content: { role: 'model', parts: [{ text }] },
        index: 0,
        ...(last ? { finishReason: 'STOP' } : {}),
      };
      res.write(`data: ${JSON.stringify({ candidates: [candidate], usageMetadata })}\r\n\r\n`);
    }
    res.end();
  };
  const server = createServer((req, res) => void answer(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    calls,
    server,
    behave(b) {
      chunks = b.chunks ?? chunks;
      delayMs = b.delayMs ?? delayMs;
      statusForKey = b.statusForKey ?? statusForKey;
      if ('truncateAfter' in b) truncateAfter = b.truncateAfter;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
