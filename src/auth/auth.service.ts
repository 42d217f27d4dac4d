import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayConfig } from '../config';
import type { GatewayMetrics } from '../telemetry/metrics';
import { AuthFailure, JWT_REASONS } from './auth-failure';
import { readCookie } from './cookies';
import type { AccessClaims, JwtVerifier } from './jwt-verifier';
import type { LegacySession, LegacySessionReader } from './legacy-session/legacy-session';
import type { TokenService } from './token-service';

export interface Identity {
  userId: string;
  method: 'jwt' | 'legacy_session';
  claims?: AccessClaims;
  session?: LegacySession;
}

function bearer(headers: IncomingHttpHeaders): string | undefined {
  const h = headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer[ ]+([^ ]+)$/i.exec(h);
  return m ? m[1] : '';
}

/** What a module does when a legacy session is exchanged for tokens; never fails the exchange. */
export type ExchangeListener = (userId: string, headers: IncomingHttpHeaders) => Promise<void>;

/** Every `gateway_auth_total` label set authenticate() and legacySession() can count. */
export const AUTH_OUTCOMES: { method: string; result: string }[] = [
  { method: 'jwt', result: 'ok' },
  ...JWT_REASONS.map((result) => ({ method: 'jwt', result })),
  { method: 'legacy_session', result: 'ok' },
  { method: 'legacy_session', result: 'session_invalid' },
  { method: 'none', result: 'refused' },
];

/**
 * Who is calling, per FALLBACK_AUTH:
 * - `off`: a valid JWT is required; cookies are not looked at.
 * - `legacy_session`: a valid JWT wins; when it is missing or invalid, a valid legacy session is accepted.
 * - `legacy_only`: bearer tokens are ignored; only the legacy session counts.
 */
export class AuthService {
  private readonly exchangeListeners: ExchangeListener[] = [];

  constructor(
    private readonly config: GatewayConfig,
    private readonly verifier: JwtVerifier,
    readonly tokens: TokenService,
    private readonly legacy: LegacySessionReader,
    private readonly metrics: GatewayMetrics,
  ) {}

  async authenticate(headers: IncomingHttpHeaders): Promise<Identity> {
    const mode = this.config.auth.fallback;
    const token = mode === 'legacy_only' ? undefined : bearer(headers);
    let jwtFailure: AuthFailure | undefined;
    if (token !== undefined) {
      try {
        const claims = await this.verifyBearer(token);
        this.metrics.auth.inc({ method: 'jwt', result: 'ok' });
        return { userId: claims.sub, method: 'jwt', claims };
      } catch (err) {
        jwtFailure = err instanceof AuthFailure ? err : new AuthFailure('token_invalid');
        this.metrics.auth.inc({ method: 'jwt', result: jwtFailure.reason });
        if (mode === 'off') throw jwtFailure;
      }
    }
    if (mode !== 'off') {
      const session = await this.legacySession(headers);
      if (session) return { userId: session.userId, method: 'legacy_session', session };
    }
    this.metrics.auth.inc({ method: 'none', result: 'refused' });
    throw (
      jwtFailure ??
      new AuthFailure(
        mode === 'off' || !readCookie(headers.cookie, this.config.auth.legacySessionCookie)
          ? 'credentials_missing'
          : 'session_invalid',
      )
    );
  }

  /** The caller's legacy session, whatever FALLBACK_AUTH says (token exchange needs it). */
  async legacySession(headers: IncomingHttpHeaders): Promise<LegacySession | null> {
    const cookie = readCookie(headers.cookie, this.config.auth.legacySessionCookie);
    if (!cookie) return null;
    const session = await this.legacy.read(cookie);
    this.metrics.auth.inc({ method: 'legacy_session', result: session ? 'ok' : 'session_invalid' });
    return session;
  }

  /**
   * Registers work for the moment a legacy session is proven by `POST /api/v2/auth/token` (the chat migrates the
   * legacy history then: a client that uses only its token afterwards never shows the cookie again).
   */
  onExchange(listener: ExchangeListener): void {
    this.exchangeListeners.push(listener);
  }

  /** Runs the listeners for the session's user, awaited so the client's next call sees their effect. */
  async exchanged(userId: string, headers: IncomingHttpHeaders): Promise<void> {
    await Promise.allSettled(this.exchangeListeners.map((listener) => listener(userId, headers)));
  }

  async verifyBearer(token: string): Promise<AccessClaims> {
    if (!token) throw new AuthFailure('token_malformed');
    const claims = await this.verifier.verify(token);
    if (await this.tokens.isRevoked(claims)) throw new AuthFailure('token_revoked');
    return claims;
  }
}
