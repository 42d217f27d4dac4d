import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * One text/event-stream response written on the raw Node response (WHATWG HTML, "Server-sent events"): each event
 * is `event:` and `data:` lines and a blank line, written as soon as it exists. Comment lines (a leading colon,
 * ignored by parsers) go out whenever the stream has been silent for `keepAliveMs`, so proxies and load balancers
 * with idle timeouts keep it open.
 */
export class SseStream {
  private lastWrite = Date.now();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly raw: ServerResponse,
    private readonly keepAliveMs: number,
  ) {}

  /** `headers` are the ones hooks already set on the Fastify reply (X-Request-Id, RateLimit-*), which hijack skips. */
  open(headers: OutgoingHttpHeaders): void {
    this.raw.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      // Intermediaries must neither store nor transform the stream (RFC 9111 5.2.2.5 no-store, 5.2.2.6 no-transform).
      'cache-control': 'no-cache, no-store, no-transform',
      // nginx (and ingress-nginx) buffer proxied responses unless told not to.
      'x-accel-buffering': 'no',
    });
    this.raw.flushHeaders();
    const tick = Math.max(50, Math.floor(this.keepAliveMs / 3));
    this.timer = setInterval(() => {
      if (Date.now() - this.lastWrite >= this.keepAliveMs) this.write(': keep-alive\n\n');
    }, tick);
    this.timer.unref();
  }

  event(name: 'delta' | 'done' | 'error' | 'snapshot', data: unknown): void {
    this.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  end(): void {
    clearInterval(this.timer);
    if (!this.raw.writableEnded && !this.raw.destroyed) this.raw.end();
  }

  private write(chunk: string): void {
    if (this.raw.writableEnded || this.raw.destroyed) return;
    this.lastWrite = Date.now();
    this.raw.write(chunk);
  }
}
