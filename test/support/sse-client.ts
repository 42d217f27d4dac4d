import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';

export interface SseEvent {
  event: string;
  data: any;
  /** ms since the request was sent. */
  at: number;
}

export interface SseResult {
  status: number;
  headers: IncomingHttpHeaders;
  events: SseEvent[];
  /** Comment lines (": keep-alive") with their arrival times. */
  comments: { text: string; at: number }[];
  /** The raw body, for non-SSE answers. */
  body: string;
}

/**
 * POSTs a chat request and parses the text/event-stream answer as it arrives (WHATWG SSE framing), timing each
 * event. `stopWhen` lets a test hang up mid-stream: the socket is destroyed as soon as it returns true.
 */
export function postSse(url: string, opts: SseOptions & { body: unknown }): Promise<SseResult> {
  const payload = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  return openSse(url, 'POST', { ...opts, headers: { 'content-type': 'application/json', ...opts.headers } }, payload);
}

/** GETs an event stream (the console's /admin/events), parsed and timed the same way as postSse. */
export function getSse(url: string, opts: SseOptions = {}): Promise<SseResult> {
  return openSse(url, 'GET', opts);
}

export interface SseOptions {
  headers?: OutgoingHttpHeaders;
  stopWhen?: (e: SseEvent) => boolean;
  onStop?: () => void;
  timeoutMs?: number;
}

function openSse(url: string, method: string, opts: SseOptions, payload?: string): Promise<SseResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const u = new URL(url);
    const req = httpRequest(
      {
        host: u.hostname,
        port: u.port,
        method,
        path: u.pathname + u.search,
        agent: false,
        headers: { accept: 'text/event-stream', ...opts.headers },
      },
      (res) => {
        const result: SseResult = {
          status: res.statusCode ?? 0,
          headers: res.headers,
          events: [],
          comments: [],
          body: '',
        };
        let buffer = '';
        let stopped = false;
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          result.body += d;
          buffer += d;
          let i: number;
          while ((i = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, i);
            buffer = buffer.slice(i + 2);
            const at = Date.now() - started;
            let event = 'message';
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) result.comments.push({ text: line.slice(1).trim(), at });
              else if (line.startsWith('event:')) event = line.slice(6).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
            }
            if (!data.length) continue;
            const e: SseEvent = { event, data: JSON.parse(data.join('\n')), at };
            result.events.push(e);
            if (!stopped && opts.stopWhen?.(e)) {
              stopped = true;
              req.destroy();
              opts.onStop?.();
              resolve(result);
              return;
            }
          }
        });
        res.on('end', () => resolve(result));
        res.on('error', reject);
      },
    );
    req.setTimeout(opts.timeoutMs ?? 30_000, () => req.destroy(new Error(`timeout on ${url}`)));
    // After a deliberate hang-up the promise is settled already; a late error changes nothing.
    req.on('error', reject);
    req.end(payload);
  });
}

/** The reply text of a parsed stream. */
export const textOf = (r: SseResult) =>
  r.events
    .filter((e) => e.event === 'delta')
    .map((e) => e.data.text)
    .join('');
