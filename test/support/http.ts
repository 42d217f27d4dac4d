import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import type { Readable } from 'node:stream';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** [name, value, name, value, ...] exactly as received. */
  rawHeaders: string[];
  body: Buffer;
  json<T = any>(): T;
}

/** A plain node:http request (no fetch normalisation), fresh connection, whole body buffered for asserts. */
export function send(
  url: string,
  opts: { method?: string; headers?: OutgoingHttpHeaders; body?: Buffer | string | Readable; timeoutMs?: number } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = httpRequest(
      {
        host: u.hostname,
        port: u.port,
        method: opts.method ?? 'GET',
        path: url.slice(u.origin.length) || '/',
        headers: opts.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body,
            json: () => JSON.parse(body.toString('utf8')),
          });
        });
      },
    );
    req.setTimeout(opts.timeoutMs ?? 30_000, () => req.destroy(new Error(`timeout on ${url}`)));
    req.on('error', reject);
    const b = opts.body;
    if (b === undefined) req.end();
    else if (typeof b === 'string' || Buffer.isBuffer(b)) req.end(b);
    else b.pipe(req);
  });
}

/** Writes bytes on a raw TCP socket and collects what comes back until the server closes or goes quiet. */
export function rawExchange(port: number, payload: string, quietMs = 1_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let out = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(out);
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(finish, quietMs);
    };
    s.on('connect', () => {
      s.write(payload);
      arm();
    });
    s.on('data', (d) => {
      out += d.toString('latin1');
      arm();
    });
    s.on('end', finish);
    s.on('error', (err) => (out ? finish() : reject(err)));
  });
}

/**
 * Writes bytes on a raw TCP socket and collects what comes back until the server ends the connection. Rejects
 * (with what came so far) if it is still open after `timeoutMs`: a test of "the server closes" cannot pass by going
 * quiet, as rawExchange would.
 */
export function rawUntilClosed(port: number, payload: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.write(payload));
    let out = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`connection still open after ${timeoutMs} ms; received:\n${out}`));
    }, timeoutMs);
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('end', () => {
      clearTimeout(timer);
      s.destroy();
      resolve(out);
    });
    s.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
