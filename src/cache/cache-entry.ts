import type { OutgoingHttpHeaders } from 'node:http';
import type CachePolicy from 'http-cache-semantics';

/** What is stored per key: either a response, or (under a base key) the Vary field names of its variants. */
export type StoredValue =
  | {
      kind: 'response';
      policy: CachePolicy.CachePolicyObject;
      status: number;
      headers: OutgoingHttpHeaders;
      body: Buffer;
    }
  | { kind: 'vary'; names: string[] };

/** A 4-byte header length, the JSON head, then the raw body: bodies are stored as bytes, never re-encoded. */
export function encode(value: StoredValue): Buffer {
  if (value.kind === 'vary') return encodeHead({ kind: 'vary', names: value.names }, Buffer.alloc(0));
  const { body, ...head } = value;
  return encodeHead(head, body);
}

function encodeHead(head: object, body: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(head));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length);
  return Buffer.concat([len, json, body]);
}

/**
 * The in-memory store hands back the same Buffer on every hit: remembering its decoding spares a JSON parse per
 * hit, a visible share of a cache hit's CPU (bench/README.md, "Figures behind code comments"). Buffers from Redis
 * are new each time and simply miss.
 */
const decoded = new WeakMap<Buffer, StoredValue>();

export function decode(buf: Buffer): StoredValue | null {
  const seen = decoded.get(buf);
  if (seen) return seen;
  const value = decodeFresh(buf);
  if (value) decoded.set(buf, value);
  return value;
}

function decodeFresh(buf: Buffer): StoredValue | null {
  try {
    const len = buf.readUInt32BE(0);
    const head = JSON.parse(buf.subarray(4, 4 + len).toString('utf8'));
    if (head.kind === 'vary') return head;
    return { ...head, body: buf.subarray(4 + len) };
  } catch {
    return null;
  }
}
