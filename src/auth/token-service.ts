import { createHash, createPrivateKey, createSecretKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import jwt, { type Algorithm } from 'jsonwebtoken';
import type { GatewayConfig } from '../config';
import type { KeyValueStore } from '../store/key-value-store';
import { AuthFailure } from './auth-failure';
import type { AccessClaims } from './jwt-verifier';

export interface TokenPair {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
}

interface RefreshRecord {
  family: string;
  sub: string;
  method: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

/**
 * Access tokens (JWT, short) and refresh tokens (opaque, rotated). Only hashes of refresh tokens are stored;
 * every key has a TTL. Rotation uses a set-if-absent "used" mark, so two instances racing on one refresh token
 * have one winner, and a second use of any refresh token revokes its whole family (RFC 9700 4.14.2).
 */
export class TokenService {
  private readonly signingKey?: string | KeyObject;
  private readonly algorithm?: Algorithm;

  constructor(
    private readonly store: KeyValueStore,
    private readonly c: GatewayConfig['jwt'],
    algorithms: Algorithm[],
    ephemeralSecret?: string,
  ) {
    if (c.privateKey) {
      this.signingKey = createPrivateKey(c.privateKey);
      this.algorithm = algorithms.find((a) => !a.startsWith('HS'));
    } else if (c.secret ?? ephemeralSecret) {
      this.signingKey = createSecretKey(Buffer.from((c.secret ?? ephemeralSecret)!));
      this.algorithm = algorithms.find((a) => a.startsWith('HS'));
    }
  }

  get canIssue(): boolean {
    return Boolean(this.signingKey && this.algorithm);
  }

  async issue(sub: string, method: string, family: string = randomUUID()): Promise<TokenPair> {
    if (!this.canIssue) throw new Error('token issuance is not configured (JWT_SECRET or JWT_PRIVATE_KEY)');
    const refreshTtlMs = this.c.refreshTtlS * 1000;
    const access = jwt.sign({ sub, fam: family, amr: [method] }, this.signingKey!, {
      algorithm: this.algorithm,
      expiresIn: this.c.accessTtlS,
      jwtid: randomUUID(),
      ...(this.c.issuer ? { issuer: this.c.issuer } : {}),
      ...(this.c.audience ? { audience: this.c.audience } : {}),
    });
    const refresh = `${family}.${randomBytes(32).toString('base64url')}`;
    const record: RefreshRecord = { family, sub, method };
    await this.store.set(`rt:${sha256(refresh)}`, Buffer.from(JSON.stringify(record)), refreshTtlMs);
    return {
      access_token: access,
      token_type: 'Bearer',
      expires_in: this.c.accessTtlS,
      refresh_token: refresh,
      refresh_expires_in: this.c.refreshTtlS,
    };
  }

  async refresh(token: string): Promise<TokenPair> {
    if (token.length > 512) throw new AuthFailure('refresh_invalid');
    const h = sha256(token);
    const raw = await this.store.get(`rt:${h}`);
    if (!raw) throw new AuthFailure('refresh_invalid');
    const rec = JSON.parse(raw.toString()) as RefreshRecord;
    if (await this.store.get(`rtf:${rec.family}`)) throw new AuthFailure('refresh_revoked');
    const first = await this.store.setIfAbsent(`rtu:${h}`, Buffer.from('1'), this.c.refreshTtlS * 1000);
    if (!first) {
      await this.revokeFamily(rec.family);
      throw new AuthFailure('refresh_reused', 'This refresh token was already used; its whole family is revoked.');
    }
    return this.issue(rec.sub, rec.method, rec.family);
  }

  /** Ends a sign-in: the refresh family dies, and the access token's jti is refused until it would expire. */
  async logout(claims: AccessClaims): Promise<void> {
    if (claims.fam) await this.revokeFamily(claims.fam);
    if (claims.jti)
      await this.store.set(
        `rj:${claims.jti}`,
        Buffer.from('1'),
        Math.max(1_000, claims.exp * 1000 - Date.now() + 60_000),
      );
  }

  async isRevoked(claims: AccessClaims): Promise<boolean> {
    if (!claims.jti) return false;
    const [jti, family] = await Promise.all([
      this.store.get(`rj:${claims.jti}`),
      claims.fam ? this.store.get(`rtf:${claims.fam}`) : null,
    ]);
    return jti !== null || family !== null;
  }

  private revokeFamily(family: string): Promise<void> {
    return this.store.set(`rtf:${family}`, Buffer.from('revoked'), this.c.refreshTtlS * 1000);
  }
}
