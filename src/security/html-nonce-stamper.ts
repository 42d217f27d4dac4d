import { PassThrough, pipeline, Transform, type Writable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
// ESM-only package: the CommonJS build loads it through require(esm) (Node >= 20.19, see package.json engines);
// its `types` field gives TypeScript's node10 resolution the declarations.
import { RewritingStream } from 'parse5-html-rewriting-stream';

/** Content codings the stamper can undo (RFC 9110 8.4.1); anything else is relayed unstamped. */
const DECODERS: Record<string, () => Transform> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

export function canStamp(coding: string | undefined): boolean {
  return coding === undefined || coding === 'identity' || DECODERS[coding] !== undefined;
}

/**
 * A streaming HTML rewriter that adds `nonce="..."` to every `<script>` and `<style>` start tag lacking one.
 * The HTML is tokenised as the HTML spec does (parse5), so a tag split across chunks, tags in any case, and
 * `<script>` text inside comments, attribute values or other raw-text elements are all told apart; every other
 * token is re-emitted as its exact source text. The nonce is inserted right after the tag name, so a stamped tag
 * keeps its original bytes too. Input and output are latin1 strings (one char per byte): markup is ASCII in every
 * ASCII-compatible charset, so the document's own encoding never needs to be known and bytes pass unchanged.
 */
export function createNonceStamper(nonce: string): RewritingStream {
  const rewriter = new RewritingStream();
  const attribute = ` nonce="${nonce}"`;
  rewriter.on('startTag', (tag, raw) => {
    const name = tag.tagName;
    if ((name === 'script' || name === 'style') && !tag.attrs.some((a) => a.name === 'nonce')) {
      const at = 1 + name.length;
      rewriter.emitRaw(raw.slice(0, at) + attribute + raw.slice(at));
    } else {
      rewriter.emitRaw(raw);
    }
  });
  return rewriter;
}

/**
 * The writable end the upstream body is written into (with backpressure) on its way to `out`: decoded when
 * gzip/deflate/br, stamped, and sent uncompressed (the caller drops Content-Encoding and Content-Length).
 * A broken compressed body destroys `out`: the head is gone, so cutting the connection is the honest signal.
 */
export function stampingSink(out: Writable, nonce: string, coding: string | undefined): Writable {
  const decoder = coding && coding !== 'identity' ? DECODERS[coding]() : new PassThrough();
  decoder.setEncoding('latin1');
  const toBytes = new Transform({
    decodeStrings: false,
    transform(chunk: string | Buffer, _enc, cb) {
      cb(null, typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
    },
  });
  pipeline(decoder, createNonceStamper(nonce), toBytes, out, (err) => {
    if (err && !out.destroyed) out.destroy();
  });
  return decoder;
}
