import { randomFillSync } from 'node:crypto';

/** 128 bits: CSP Level 3 section 7.1 asks for a nonce that is unguessable and at least 128 bits. */
const NONCE_BYTES = 16;
const POOL_BYTES = NONCE_BYTES * 256;

let pool = Buffer.allocUnsafe(0);
let offset = POOL_BYTES;

/**
 * A fresh base64 nonce per call, from the CSPRNG. One randomFillSync per 256 nonces keeps the per-request cost
 * at a slice and a base64 encode; every byte is used once and the pool is refilled in place.
 */
export function createNonce(): string {
  if (offset >= POOL_BYTES) {
    if (pool.length === 0) pool = Buffer.allocUnsafeSlow(POOL_BYTES);
    randomFillSync(pool);
    offset = 0;
  }
  const nonce = pool.toString('base64', offset, offset + NONCE_BYTES);
  offset += NONCE_BYTES;
  return nonce;
}
