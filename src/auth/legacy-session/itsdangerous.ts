import { createHmac, timingSafeEqual } from 'node:crypto';
import { inflateSync } from 'node:zlib';

/**
 * Verification side of Python's itsdangerous 2.x, limited to what Flask and Flask-Session use: HMAC signatures with
 * `key_derivation="hmac"`, the `.` separator, unpadded URL-safe base64 (itsdangerous/encoding.py strips `=`).
 */

/** SHA-1 is the default of both Flask's SecureCookieSessionInterface and itsdangerous' Signer (signer.py). */
const DIGEST = 'sha1';
const DIGEST_BYTES = 20;
const SEP = '.';
/** A zlib bomb inside an 8 KiB cookie could inflate ~1000x; legit sessions are far below this. */
const MAX_INFLATED_BYTES = 1024 * 1024;
const B64URL = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Signer.derive_key for `key_derivation="hmac"`: HMAC(secret_key, salt) — note the secret is the HMAC key, the salt the message. */
export function deriveHmacKey(secretKey: string, salt: string): Buffer {
  return createHmac(DIGEST, Buffer.from(secretKey, 'utf8')).update(Buffer.from(salt, 'utf8')).digest();
}

/** Strict unpadded base64url; Python's decoder is laxer, but itsdangerous itself never emits anything else. */
export function b64urlDecode(s: string): Buffer | null {
  if (!B64URL.test(s) || s.length % 4 === 1) return null;
  return Buffer.from(s, 'base64url');
}

function lastSplit(s: string): [string, string] | null {
  const i = s.lastIndexOf(SEP);
  return i < 0 ? null : [s.slice(0, i), s.slice(i + 1)];
}

/** Signer.unsign: `<value>.<b64url(HMAC(derived_key, value))>`, split at the last `.`; any of the keys may match. */
export function unsign(signed: string, derivedKeys: readonly Buffer[]): string | null {
  const parts = lastSplit(signed);
  if (!parts) return null;
  const [value, sigText] = parts;
  const sig = b64urlDecode(sigText);
  if (!sig || sig.length !== DIGEST_BYTES) return null;
  const message = Buffer.from(value, 'utf8');
  for (const key of derivedKeys) {
    if (timingSafeEqual(createHmac(DIGEST, key).update(message).digest(), sig)) return value;
  }
  return null;
}

export interface TimestampCheck {
  maxAgeS: number;
  /** Python rejects any future timestamp (timed.py: `age < 0`); we tolerate this much clock skew between hosts. */
  skewS?: number;
  nowS?: number;
}

/**
 * TimestampSigner.unsign: the signed value is `<payload>.<ts>` where ts is the big-endian unix time with leading zero
 * bytes stripped (encoding.int_to_bytes), base64url'd; Python decodes at most 8 bytes (struct ">Q").
 */
export function unsignTimestamped(
  signed: string,
  derivedKeys: readonly Buffer[],
  check: TimestampCheck,
): string | null {
  const value = unsign(signed, derivedKeys);
  const parts = value === null ? null : lastSplit(value);
  if (!parts) return null;
  const tsBytes = b64urlDecode(parts[1]);
  if (!tsBytes || tsBytes.length === 0 || tsBytes.length > 8) return null;
  const ts = Number(BigInt(`0x${tsBytes.toString('hex')}`));
  const age = (check.nowS ?? Math.floor(Date.now() / 1000)) - ts;
  if (!(age <= check.maxAgeS && age >= -(check.skewS ?? 30))) return null;
  return parts[0];
}

/** URLSafeSerializerMixin.load_payload (url_safe.py): a leading `.` marks a zlib (RFC 1950) stream; then UTF-8 text. */
export function loadUrlSafePayload(payload: string): string | null {
  const compressed = payload.startsWith(SEP);
  const raw = b64urlDecode(compressed ? payload.slice(1) : payload);
  if (!raw) return null;
  try {
    return utf8.decode(compressed ? inflateSync(raw, { maxOutputLength: MAX_INFLATED_BYTES }) : raw);
  } catch {
    return null;
  }
}
