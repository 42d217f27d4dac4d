import type { OutgoingHttpHeaders } from 'node:http';
import type { Writable } from 'node:stream';
import type { CompiledRoute } from '../routing';

/** Upstream fields dropped from a relayed head and gateway pairs ([name, value, ...]) appended after all others. */
export interface HeadEdit {
  readonly drop: ReadonlySet<string>;
  readonly append: readonly string[];
}

/** The few upstream fields transforms decide on, found by the forwarder in one pass over the raw head. */
export interface HeadFacts {
  contentType?: string;
  /** Content-Encoding, trimmed and lowercase. */
  coding?: string;
  /** Every Vary field, joined. */
  vary?: string;
  /** text/event-stream: a long-lived stream, counted while open. */
  stream: boolean;
}

export function headFacts(raw: Buffer[]): HeadFacts {
  const facts: HeadFacts = { stream: false };
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i];
    // Length first: most fields are dismissed without decoding their name.
    if (n.length === 12 && n.toString('latin1').toLowerCase() === 'content-type') {
      const type = raw[i + 1].toString('latin1');
      facts.contentType = type;
      facts.stream = /^\s*text\/event-stream/i.test(type);
    } else if (n.length === 16 && n.toString('latin1').toLowerCase() === 'content-encoding') {
      facts.coding = raw[i + 1].toString('latin1').trim().toLowerCase();
    } else if (n.length === 4 && n.toString('latin1').toLowerCase() === 'vary') {
      const v = raw[i + 1].toString('latin1');
      facts.vary = facts.vary ? `${facts.vary}, ${v}` : v;
    }
  }
  return facts;
}

/** What every transform sees of the response it edits. */
export interface ResponseHead {
  /** The client's path, without the query: a route's patterns may cover paths a transform leaves alone. */
  readonly path: string;
  /** This request's nonce, when a transform of the route makes one. */
  readonly nonce: string | undefined;
  /** The gateway's own fields (the reply's, X-Cache): a fresh object, edited in place. */
  readonly own: OutgoingHttpHeaders;
}

/** An upstream head about to be relayed; transforms add edits and may put a rewriter before the client. */
export interface RelayHead extends ResponseHead {
  readonly facts: HeadFacts;
  /** HEAD, 204 or 304: no body follows. */
  readonly bodiless: boolean;
  readonly edits: HeadEdit[];
  /** The writable the upstream body goes into on its way to `out` (a rewriter); unset, the body is relayed as is. */
  body?: (out: Writable) => Writable;
}

/** A stored upstream head the gateway answers from (a cache hit); transforms add edits as for a relayed head. */
export interface StoredHead extends ResponseHead {
  /** The stored fields, only read: what changes is said in `edits`. */
  readonly stored: Readonly<OutgoingHttpHeaders>;
  readonly edits: HeadEdit[];
}

/**
 * One edit of a proxied route's responses (YARP's response transforms are the model). The gateway's policy
 * (src/security/proxied-responses.ts) chooses a route's list at boot; the forwarder applies what it was given, in
 * order, and knows none of them. Every hook is optional.
 */
export interface ResponseTransform {
  /** Once per request, before it goes upstream: a fresh nonce, kept on the exchange and sent as X-CSP-Nonce. */
  nonce?(): string;
  /** A relayed upstream head. */
  relay?(head: RelayHead): void;
  /** A stored upstream head the gateway answers from (a cache hit). */
  stored?(head: StoredHead): void;
  /** Last, on every head the gateway writes itself (a cache hit, a problem). */
  answer?(headers: OutgoingHttpHeaders): void;
}

/** A route's transforms sorted by hook at boot, so a request only walks the ones that act; undefined for none. */
export interface CompiledTransforms {
  readonly nonce?: () => string;
  readonly relay: readonly ResponseTransform[];
  readonly stored: readonly ResponseTransform[];
  readonly answer: readonly ResponseTransform[];
}

export function compileTransforms(list: readonly ResponseTransform[]): CompiledTransforms | undefined {
  if (list.length === 0) return undefined;
  const maker = list.find((t) => t.nonce);
  return {
    nonce: maker?.nonce?.bind(maker),
    relay: list.filter((t) => t.relay),
    stored: list.filter((t) => t.stored),
    answer: list.filter((t) => t.answer),
  };
}

/** The gateway's policy for the answers the forwarder writes (it hijacks the reply, so Fastify's hooks do not). */
export interface ProxiedResponses {
  /** The transforms one route's responses get, chosen at boot; empty for a route that needs none. */
  transformsFor(route: CompiledRoute): readonly ResponseTransform[];
  /** Config put on the routes the forwarder answers (hooks that edit replies are told to leave them alone). */
  readonly routeConfig: Readonly<Record<string, unknown>>;
}
