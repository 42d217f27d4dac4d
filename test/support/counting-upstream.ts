import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface CountingUpstream {
  url: string;
  hits: () => number;
  reset(): void;
  close(): Promise<void>;
  server: Server;
}

/** A tiny upstream that counts what reaches it; the handler decides the answer (JSON 200 by default). */
export async function startCountingUpstream(
  handler: (req: IncomingMessage, res: ServerResponse, n: number) => void = (_req, res, n) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ n }));
  },
): Promise<CountingUpstream> {
  let n = 0;
  const server = createServer((req, res) => handler(req, res, ++n));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    hits: () => n,
    reset: () => (n = 0),
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
