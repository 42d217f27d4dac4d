import { parseFlaskTaggedJson } from './flask-tagged-json';
import { deriveHmacKey, loadUrlSafePayload, unsignTimestamped } from './itsdangerous';
import type { LegacySession, LegacySessionReader } from './legacy-session';
import { MAX_COOKIE_CHARS, toLegacySession } from './session-user';

/** flask/sessions.py SecureCookieSessionInterface.salt. */
const SALT = 'cookie-session';
/** What URLSafeTimedSerializer.dumps can produce: base64url, `.` separators, `.` compression marker. */
const TOKEN = /^[A-Za-z0-9_.-]+$/;

export interface FlaskCookieReaderOptions {
  secretKey: string;
  /** Flask checks PERMANENT_SESSION_LIFETIME as max_age on every open_session, permanent or not. */
  maxAgeS: number;
  userKey: string;
  /** SECRET_KEY_FALLBACKS (Flask 3.1): old keys still accepted for verification during rotation. */
  fallbackSecretKeys?: string[];
}

/** Flask's default client-side session: URLSafeTimedSerializer(salt "cookie-session", hmac, SHA-1) over tagged JSON. */
export class FlaskCookieReader implements LegacySessionReader {
  readonly mode = 'flask_cookie' as const;
  private readonly keys: Buffer[];

  constructor(private readonly opts: FlaskCookieReaderOptions) {
    const secrets = [opts.secretKey, ...(opts.fallbackSecretKeys ?? [])];
    // Flask opens no session at all without SECRET_KEY (get_signing_serializer returns None).
    if (secrets.some((k) => typeof k !== 'string' || k === ''))
      throw new Error('flask_cookie: secret keys must be non-empty');
    if (!(opts.maxAgeS > 0)) throw new Error('flask_cookie: maxAgeS must be positive');
    this.keys = secrets.map((k) => deriveHmacKey(k, SALT));
  }

  async read(cookieValue: string): Promise<LegacySession | null> {
    try {
      if (typeof cookieValue !== 'string' || cookieValue.length > MAX_COOKIE_CHARS || !TOKEN.test(cookieValue))
        return null;
      const payload = unsignTimestamped(cookieValue, this.keys, { maxAgeS: this.opts.maxAgeS });
      const text = payload === null ? null : loadUrlSafePayload(payload);
      return text === null ? null : toLegacySession(parseFlaskTaggedJson(text), this.opts.userKey);
    } catch {
      return null;
    }
  }
}
