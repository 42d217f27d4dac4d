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
 * are new each time: RecentDecodings covers those.
 */
const decoded = new WeakMap<Buffer, StoredValue>();

export function decode(buf: Buffer): StoredValue | null {
  const seen = decoded.get(buf);
  if (seen) return seen;
  const value = decodeFresh(buf);
  if (value) decoded.set(buf, value);
  return value;
}

/** Keys whose last decoding is remembered, and the largest value remembered: at most 256 x 16 KiB held. */
export const RECENT_MAX_KEYS = 256;
export const RECENT_MAX_BYTES = 16 * 1024;

/**
 * The last decoding per key of values that come as new Buffers on every read (Redis): when a key's bytes are the
 * ones decoded last time (a byte compare, far cheaper than a JSON parse), the same decoded value is handed back, and
 * with it the policy built for it (response-cache.ts). Bounded: RECENT_MAX_KEYS keys, values up to RECENT_MAX_BYTES.
 */
export class RecentDecodings {
  private readonly byKey = new Map<string, { raw: Buffer; value: StoredValue | null }>();

  decode(key: string, raw: Buffer): StoredValue | null {
    const last = this.byKey.get(key);
    if (last !== undefined && (last.raw === raw || last.raw.equals(raw))) return last.value;
    const value = decode(raw);
    if (raw.length > RECENT_MAX_BYTES) return value;
    // Map order is insertion order: the oldest key goes first when full.
    if (last === undefined && this.byKey.size >= RECENT_MAX_KEYS) this.byKey.delete(this.byKey.keys().next().value!);
    this.byKey.set(key, { raw, value });
    return value;
  }
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
