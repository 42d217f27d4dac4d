import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { GatewayError } from '../errors/gateway-error';

/** Raised inside the upstream request when a streamed body passes the route's limit. */
export class BodyTooLarge extends GatewayError {
  constructor(limit: number) {
    super('PAYLOAD_TOO_LARGE', `The request body is larger than this route accepts (${limit} bytes).`, {
      extra: { limit },
    });
  }
}

/** A declared length over the limit is refused before a byte of the body is read (RFC 9110 15.5.14). */
export function declaredTooLarge(contentLength: string | undefined, limit: number): boolean {
  return contentLength !== undefined && Number(contentLength) > limit;
}

/**
 * A chunked (or HTTP/2) body has no declared length: count it as it streams and fail the upstream request the
 * moment it passes the limit, so the upstream never sees more than `limit` bytes.
 */
export function limitBody(body: Readable, limit: number): Readable {
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      seen += chunk.length;
      if (seen > limit) return done(new BodyTooLarge(limit));
      done(null, chunk);
    },
  });
  body.on('error', (err) => counter.destroy(err));
  return body.pipe(counter);
}
