import { decode } from '@msgpack/msgpack';
import { deriveHmacKey, unsign } from './itsdangerous';
import type { LegacySession, LegacySessionReader } from './legacy-session';
import { MAX_COOKIE_CHARS, toLegacySession } from './session-user';

/** flask_session/base.py `_get_signer`: Signer(app.secret_key, salt="flask-session", key_derivation="hmac"), SHA-1, no timestamp. */
const SIGNER_SALT = 'flask-session';
/** Session ids come from secrets.token_urlsafe (base.py `_generate_sid`). */
const SID = /^[A-Za-z0-9_-]+$/;

export interface FlaskRedisReaderOptions {
  /** Raw GET of a Redis key; null when absent. */
  get: (key: string) => Promise<Buffer | null>;
  /** SESSION_KEY_PREFIX, "session:" by default. */
  keyPrefix: string;
  userKey: string;
  /** The app's SECRET_KEY when SESSION_USE_SIGNER is on (Flask-Session ignores SECRET_KEY_FALLBACKS there). */
  signerSecretKey?: string;
}

/**
 * msgspec writes ints >= 2^32 as uint64/int64, so we decode those as bigint to keep ids exact, then turn the ones
 * that fit back into numbers so ordinary data (epoch-ms timestamps) stays JSON-serialisable. msgpack `bin` comes back
 * as a view into the Redis reply; copy it into a Buffer, the type the cookie reader gives for Python bytes.
 */
function settle(value: unknown): unknown {
  if (typeof value === 'bigint')
    return value >= Number.MIN_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER ? Number(value) : value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (Array.isArray(value)) return value.map(settle);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, settle(v)]));
}

/**
 * MsgSpecSerializer.decode (base.py) tries msgpack, then JSON (the other SESSION_SERIALIZATION_FORMAT), then pickle.
 * Pickle (sessions written before Flask-Session 0.7) is refused: unpickling is code execution, and there is no
 * safe reading of it.
 */
function decodeSessionValue(raw: Buffer): unknown {
  try {
    // The ext -1 timestamp msgspec uses for aware datetimes decodes to a Date by default.
    return settle(decode(raw, { useBigInt64: true }));
  } catch {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  }
}

/** Flask-Session 0.8 with SESSION_TYPE=redis: the cookie carries the session id, Redis `<prefix><sid>` the msgpack'd dict. */
export class FlaskRedisReader implements LegacySessionReader {
  readonly mode = 'flask_redis' as const;
  private readonly signerKey: Buffer | null;

  constructor(private readonly opts: FlaskRedisReaderOptions) {
    if (opts.signerSecretKey === '') throw new Error('flask_redis: signerSecretKey must be non-empty when set');
    this.signerKey = opts.signerSecretKey === undefined ? null : deriveHmacKey(opts.signerSecretKey, SIGNER_SALT);
  }

  async read(cookieValue: string): Promise<LegacySession | null> {
    try {
      if (typeof cookieValue !== 'string' || cookieValue.length > MAX_COOKIE_CHARS) return null;
      const sid = this.signerKey ? unsign(cookieValue, [this.signerKey]) : cookieValue;
      if (sid === null || !SID.test(sid)) return null;
      const raw = await this.opts.get(this.opts.keyPrefix + sid);
      // Flask-Session treats an empty value like a missing one (`if serialized_session_data:`).
      if (!raw || raw.length === 0) return null;
      return toLegacySession(decodeSessionValue(raw), this.opts.userKey);
    } catch {
      return null;
    }
  }
}
