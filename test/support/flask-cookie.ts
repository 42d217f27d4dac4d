import { createHmac } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';

// What an attacker (or a leaked key) can forge: Flask's session cookie built from its parts, written from the
// itsdangerous format (URLSafeTimedSerializer, salt "cookie-session", key_derivation "hmac", SHA-1), not from
// the gateway's reader, so a test cannot pass because both share a mistake.

const b64 = (b: Buffer) => b.toString('base64url');

/** Everything before the last dot is signed; the timestamp is big-endian seconds without leading zero bytes. */
export function signFlaskCookie(payload: string, secret: string, atS = Math.floor(Date.now() / 1000)): string {
  const hex = atS.toString(16);
  const ts = b64(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'));
  const key = createHmac('sha1', secret).update('cookie-session').digest();
  const value = `${payload}.${ts}`;
  return `${value}.${b64(createHmac('sha1', key).update(value).digest())}`;
}

/** The payload part: compact JSON, or `.` + zlib when asked (Flask compresses when that is shorter). */
export function flaskPayload(data: unknown, compress = false): string {
  const json = Buffer.from(typeof data === 'string' ? data : JSON.stringify(data));
  return compress ? `.${b64(deflateSync(json, { level: 9 }))}` : b64(json);
}

/** Splits a real cookie into payload, timestamp and signature, and decodes the payload's JSON. */
export function openFlaskCookie(cookie: string): {
  payload: string;
  ts: string;
  sig: string;
  data: Record<string, unknown>;
} {
  const sigAt = cookie.lastIndexOf('.');
  const tsAt = cookie.lastIndexOf('.', sigAt - 1);
  const payload = cookie.slice(0, tsAt);
  const raw = payload.startsWith('.')
    ? inflateSync(Buffer.from(payload.slice(1), 'base64url'))
    : Buffer.from(payload, 'base64url');
  return { payload, ts: cookie.slice(tsAt + 1, sigAt), sig: cookie.slice(sigAt + 1), data: JSON.parse(raw.toString()) };
}
