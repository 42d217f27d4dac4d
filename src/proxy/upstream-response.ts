import type { IncomingHttpHeaders } from 'node:http';
import type { Writable } from 'node:stream';

/** Sees the body as it streams to the client (a cache storing it); `end(false)` when it was cut short. */
export interface BodyTap {
  data(chunk: Buffer): void;
  end(complete: boolean): void;
}

/**
 * Watches one exchange's outcome (its trace span, when tracing). A field of the handler rather than a wrapper
 * around it: undici then always calls the same class, and its hot call sites stay monomorphic.
 */
export interface ExchangeObserver {
  head(statusCode: number): void;
  done(err?: Error): void;
}

/** Told how one upstream attempt ended before its body is consumed: a response head, or a failure before one. */
export interface AttemptListener {
  upstreamHead(response: UpstreamResponse): void;
  upstreamFailed(err: Error): void;
}

type Sink =
  | { kind: 'pipe'; res: Writable; tap?: BodyTap }
  | { kind: 'collect'; max: number; chunks: Buffer[]; size: number; resolve: (body: Buffer | null) => void }
  | { kind: 'dump' };

/**
 * One upstream exchange as an undici dispatch handler (the callback API, without the Readable, AbortController
 * and pipeline a `request()` costs per call: a large share of the proxy's CPU per request, see bench/README.md,
 * "Figures behind code comments").
 * The body is held (the parser paused) from the response head until a consumer says where it goes: `pipe` to
 * the client with backpressure, `collect` into memory, or `dump`.
 */
export class UpstreamResponse {
  statusCode = 0;
  statusText = '';
  rawHeaders: Buffer[] = [];
  private parsed?: IncomingHttpHeaders;
  private abortFn?: (err: Error) => void;
  private abortReason?: Error;
  private resumeFn?: () => void;
  private sink?: Sink;
  private early?: Buffer[];
  private headReceived = false;
  private finished: 'no' | 'complete' | 'failed' = 'no';
  observer: ExchangeObserver | undefined = undefined;

  constructor(private readonly listener: AttemptListener) {}

  /** Parsed, lowercase names; repeated fields become arrays (Set-Cookie stays one entry per cookie). */
  get headers(): IncomingHttpHeaders {
    if (this.parsed) return this.parsed;
    const out: Record<string, string | string[]> = {};
    const raw = this.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toString('latin1').toLowerCase();
      const value = raw[i + 1].toString('latin1');
      const prev = out[name];
      out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
    return (this.parsed = out as IncomingHttpHeaders);
  }

  /**
   * Whether the head has a field called `name` (lowercase), found from the raw names: length first, so most fields
   * are dismissed without decoding, and no headers object is built for a caller that needs only this.
   */
  hasHeader(name: string): boolean {
    if (this.parsed) return this.parsed[name] !== undefined;
    const raw = this.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const n = raw[i];
      if (n.length === name.length && n.toString('latin1').toLowerCase() === name) return true;
    }
    return false;
  }

  abort(reason: Error): void {
    if (this.finished !== 'no') return;
    if (this.abortFn) this.abortFn(reason);
    else this.abortReason = reason;
  }

  /** `res` is the client response, or a transform in front of it (the HTML nonce stamper). */
  pipe(res: Writable, tap?: BodyTap): void {
    this.attach({ kind: 'pipe', res, tap });
  }

  collect(max: number): Promise<Buffer | null> {
    return new Promise((resolve) => this.attach({ kind: 'collect', max, chunks: [], size: 0, resolve }));
  }

  dump(): void {
    this.attach({ kind: 'dump' });
  }

  private attach(sink: Sink): void {
    this.sink = sink;
    const early = this.early;
    this.early = undefined;
    if (early) for (const c of early) this.deliver(c);
    if (this.finished === 'complete') this.complete();
    else if (this.finished === 'failed') this.fail();
    else this.resumeFn?.();
  }

  private readonly onDrain = () => this.resumeFn?.();

  /** Returns false to pause the upstream socket (backpressure). */
  private deliver(chunk: Buffer): boolean {
    const s = this.sink!;
    if (s.kind === 'pipe') {
      s.tap?.data(chunk);
      if (s.res.write(chunk)) return true;
      s.res.once('drain', this.onDrain);
      return false;
    }
    if (s.kind === 'collect') {
      s.size += chunk.length;
      if (s.size > s.max) {
        this.abort(new Error('body over the collect limit'));
        return false;
      }
      s.chunks.push(chunk);
    }
    return true;
  }

  private complete(): void {
    const s = this.sink!;
    if (s.kind === 'pipe') {
      s.res.end();
      s.tap?.end(true);
    } else if (s.kind === 'collect') s.resolve(Buffer.concat(s.chunks, s.size));
  }

  private fail(): void {
    const s = this.sink!;
    if (s.kind === 'pipe') {
      // The head is out: the only honest signal left is to cut the connection.
      s.res.destroy();
      s.tap?.end(false);
    } else if (s.kind === 'collect') s.resolve(null);
  }

  // --- undici dispatch handler (callback API) ---

  onConnect(abort: (err: Error) => void): void {
    this.abortFn = abort;
    if (this.abortReason) abort(this.abortReason);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true; // 1xx interim responses are this hop's business
    this.statusCode = statusCode;
    this.statusText = statusText;
    this.rawHeaders = rawHeaders;
    this.resumeFn = resume;
    this.headReceived = true;
    this.observer?.head(statusCode);
    this.listener.upstreamHead(this);
    return this.sink !== undefined;
  }

  onData(chunk: Buffer): boolean {
    if (!this.sink) {
      (this.early ??= []).push(chunk);
      return false;
    }
    return this.deliver(chunk);
  }

  onComplete(): void {
    this.finished = 'complete';
    try {
      if (this.sink) this.complete();
    } finally {
      this.observer?.done();
    }
  }

  onError(err: Error): void {
    this.finished = 'failed';
    try {
      if (!this.headReceived) this.listener.upstreamFailed(err);
      else if (this.sink) this.fail();
    } finally {
      this.observer?.done(err);
    }
  }
}
