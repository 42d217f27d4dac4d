import { connect, createServer, type Socket } from 'node:net';

/**
 * A port nothing listens on, for "legacy is down" set-ups: 9 (discard) lies below the range the OS picks ports
 * from for listen(0), so no server started meanwhile (this test's or a parallel file's) can take it, as one can
 * take a freePort() number.
 */
export const CLOSED_PORT = 9;

export interface RefusingPort {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  release(): Promise<void>;
}

/**
 * A 127.0.0.1 port that refuses every connection (RST, ECONNREFUSED) until `release()`, for a dead upstream or
 * Redis that must stay dead for the whole test. Its number is the local end of a loopback connection this process
 * keeps open: nothing listens on it, and no listen() on it (this test's, or a parallel file's server started on a
 * number freePort() handed out) can succeed, EADDRINUSE, nor will the OS pick it for a listen(0). A freePort()
 * number, by contrast, was only free a moment ago. For "accepts, then resets" a test needs a server of its own.
 */
export async function refusingPort(): Promise<RefusingPort> {
  const accepted: Socket[] = [];
  const server = createServer((s) => accepted.push(s));
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const holder = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port });
  await new Promise<void>((resolve, reject) => holder.once('connect', resolve).once('error', reject));
  const port = holder.localPort!;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    release: () =>
      new Promise<void>((resolve) => {
        holder.destroy();
        for (const s of accepted) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port: number, timeoutMs: number, isAlive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => (s.destroy(), resolve(false)));
    });
    if (ok) return;
    if (!isAlive()) throw new Error(`process for port ${port} exited before listening`);
    if (Date.now() > deadline) throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
