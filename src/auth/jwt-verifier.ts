import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import jwt, { type Algorithm, type JwtPayload } from 'jsonwebtoken';
import type { GatewayConfig } from '../config';
import { AuthFailure } from './auth-failure';
import { JwksKeys } from './jwks';

export interface AccessClaims extends JwtPayload {
  sub: string;
  exp: number;
  jti?: string;
  /** Refresh family of a token the gateway issued; logout revokes it. */
  fam?: string;
}

const MAX_TOKEN_BYTES = 8_192;
const CLOCK_SKEW_S = 60;
/** Verified tokens are remembered briefly (Envoy's jwt_authn does the same): a client reuses its token for many calls. */
const CACHE_MS = 60_000;
const CACHE_MAX = 10_000;

/** The algorithms in force: JWT_ALGORITHMS, else the one family the configured key type allows. */
export function allowedAlgorithms(c: GatewayConfig['jwt'], ephemeralSecret: boolean): Algorithm[] {
  if (c.algorithms) return c.algorithms as Algorithm[];
  if (c.secret || ephemeralSecret) return ['HS256'];
  return ['RS256', 'ES256'];
}

function reasonOf(err: unknown): AuthFailure {
  const e = err as { name?: string; message?: string };
  if (e.name === 'TokenExpiredError') return new AuthFailure('token_expired');
  if (e.name === 'NotBeforeError') return new AuthFailure('not_yet_valid');
  const m = e.message ?? '';
  // `alg: none` arrives as "jwt signature is required" (an unsigned token); other algorithms as "invalid algorithm".
  if (m.includes('algorithm') || m.includes('signature is required')) return new AuthFailure('alg_not_allowed');
  if (m.includes('signature')) return new AuthFailure('signature_invalid');
  if (m.includes('audience')) return new AuthFailure('audience_invalid');
  if (m.includes('issuer')) return new AuthFailure('issuer_invalid');
  if (m.includes('malformed') || m === 'invalid token') return new AuthFailure('token_malformed');
  return new AuthFailure('token_invalid');
}

/**
 * Verifies bearer tokens with jsonwebtoken under an explicit allow-list (no `none`, one key family), requiring
 * `exp`, with at most 60 s of clock skew, and `iss`/`aud` when configured. Whatever the token holds, the result is
 * claims or an AuthFailure with a reason code, never another exception.
 */
export class JwtVerifier {
  readonly algorithms: Algorithm[];
  private readonly staticKey?: string | KeyObject;
  private readonly jwks?: JwksKeys;
  private readonly verified = new Map<string, { claims: AccessClaims; until: number }>();

  constructor(
    private readonly c: GatewayConfig['jwt'],
    ephemeralSecret?: string,
  ) {
    this.algorithms = allowedAlgorithms(c, Boolean(ephemeralSecret));
    if (c.jwksUrl) this.jwks = new JwksKeys(c.jwksUrl, c.jwksMinRefreshS * 1000);
    else if (c.publicKey) this.staticKey = createPublicKey(c.publicKey);
    // A KeyObject made once: handed a string, jsonwebtoken tries (and fails) to parse it as a public key on every
    // call, a cost bench/ saw per request (bench/README.md, "Figures behind code comments").
    else this.staticKey = createSecretKey(Buffer.from((c.secret ?? ephemeralSecret)!));
  }

  async verify(token: string): Promise<AccessClaims> {
    if (token.length > MAX_TOKEN_BYTES) throw new AuthFailure('token_too_large');
    const hit = this.verified.get(token);
    if (hit && hit.until > Date.now()) return hit.claims;
    const claims = await this.verifyUncached(token);
    if (this.verified.size >= CACHE_MAX) this.verified.clear();
    // Never past the token's own expiry (skew included), so a cached token expires exactly when a fresh check would.
    this.verified.set(token, { claims, until: Math.min(Date.now() + CACHE_MS, (claims.exp + CLOCK_SKEW_S) * 1000) });
    return claims;
  }

  private async verifyUncached(token: string): Promise<AccessClaims> {
    let key: string | KeyObject | null | undefined = this.staticKey;
    if (this.jwks) {
      // Only JWKS needs the header before verifying (its kid picks the key); static keys skip a second parse.
      let decoded: jwt.Jwt | null = null;
      try {
        decoded = jwt.decode(token, { complete: true });
      } catch {
        // handled below
      }
      if (!decoded || typeof decoded.payload !== 'object') throw new AuthFailure('token_malformed');
      if (!this.algorithms.includes(decoded.header.alg as Algorithm)) throw new AuthFailure('alg_not_allowed');
      key = await this.jwks.get(decoded.header.kid);
      if (!key) throw new AuthFailure('key_unknown');
    }
    let claims: JwtPayload;
    try {
      claims = jwt.verify(token, key!, {
        algorithms: this.algorithms,
        clockTolerance: CLOCK_SKEW_S,
        issuer: this.c.issuer,
        audience: this.c.audience,
        complete: false,
      }) as JwtPayload;
    } catch (err) {
      throw reasonOf(err);
    }
    if (typeof claims !== 'object' || claims === null) throw new AuthFailure('token_malformed');
    if (typeof claims.exp !== 'number') throw new AuthFailure('exp_missing');
    if (typeof claims.sub !== 'string' || claims.sub === '')
      throw new AuthFailure('token_invalid', 'the token names no subject');
    return claims as AccessClaims;
  }
}
