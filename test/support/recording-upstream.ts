import { startCountingUpstream, type CountingUpstream } from './counting-upstream';

/** One request as the legacy side received it: the head as parsed by node:http, and the body bytes. */
export interface Received {
  method: string;
  url: string;
  /** Lower-cased field name -> every value, in arrival order (duplicates kept, unlike req.headers). */
  fields: Map<string, string[]>;
  body: string;
}

/**
 * A counting upstream that keeps every request head it got, so an adversarial test can assert what legacy never
 * received. It answers 200 text/plain "ok" (or what `respond` says) once the body has been read.
 */
export async function startRecordingUpstream(
  respond: (r: Received) => {
    status?: number;
    headers?: Record<string, string | string[]>;
    body?: string;
  } = () => ({}),
): Promise<CountingUpstream & { received: Received[] }> {
  const received: Received[] = [];
  const up = await startCountingUpstream((req, res) => {
    const fields = new Map<string, string[]>();
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const k = req.rawHeaders[i].toLowerCase();
      fields.set(k, [...(fields.get(k) ?? []), req.rawHeaders[i + 1]]);
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        fields,
        body: Buffer.concat(chunks).toString('latin1'),
      };
      received.push(r);
      const answer = respond(r);
      res.writeHead(answer.status ?? 200, { 'content-type': 'text/plain', ...answer.headers });
      res.end(answer.body ?? 'ok');
    });
  });
  return Object.assign(up, { received });
}
