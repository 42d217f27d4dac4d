import { Logger, Module } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { KV_STORE, type KeyValueStore } from '../store/key-value-store';
import { LEGACY_SESSION_GET } from '../store/store.module';
import { METRICS, type GatewayMetrics } from '../telemetry/metrics';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { AUTH_SERVICE } from './auth.tokens';
import { JwtVerifier } from './jwt-verifier';
import { FlaskCookieReader } from './legacy-session/flask-cookie-reader';
import { FlaskRedisReader } from './legacy-session/flask-redis-reader';
import { IntrospectReader } from './legacy-session/introspect-reader';
import type { LegacySessionReader } from './legacy-session/legacy-session';
import { TokenService } from './token-service';

function legacyReader(c: GatewayConfig, redisGet?: (key: string) => Promise<Buffer | null>): LegacySessionReader {
  const a = c.auth;
  switch (a.legacySessionMode) {
    case 'flask_cookie':
      return new FlaskCookieReader({
        secretKey: a.legacySecretKey!,
        fallbackSecretKeys: a.legacySecretKeyFallbacks,
        maxAgeS: a.legacySessionMaxAgeS,
        userKey: a.legacySessionUserKey,
      });
    case 'flask_redis':
      return new FlaskRedisReader({
        get: redisGet!,
        keyPrefix: a.legacySessionRedisPrefix,
        userKey: a.legacySessionUserKey,
        signerSecretKey: a.legacySessionSigner ? a.legacySecretKey : undefined,
      });
    case 'introspect': {
      let next = 0;
      return new IntrospectReader({
        // With its path prefix, if LEGACY_URL has one: the introspection path is one of legacy's request paths.
        legacyBase: () => c.legacyUrls[next++ % c.legacyUrls.length],
        path: a.legacyIntrospectPath,
        cookieName: a.legacySessionCookie,
        userKey: a.legacySessionUserKey,
      });
    }
  }
}

function createAuth(
  c: GatewayConfig,
  store: KeyValueStore,
  metrics: GatewayMetrics,
  redisGet?: (key: string) => Promise<Buffer | null>,
) {
  let ephemeral: string | undefined;
  if (!c.jwt.secret && !c.jwt.publicKey && !c.jwt.jwksUrl) {
    ephemeral = randomBytes(32).toString('base64url');
    new Logger('Auth').warn(
      'No JWT_SECRET / JWT_PUBLIC_KEY / JWT_JWKS_URL: tokens are signed with a key made at start-up; they die with ' +
        'this process and other instances refuse them. Set JWT_SECRET in production.',
    );
  }
  const verifier = new JwtVerifier(c.jwt, ephemeral);
  const tokens = new TokenService(store, c.jwt, verifier.algorithms, ephemeral);
  return new AuthService(c, verifier, tokens, legacyReader(c, redisGet), metrics);
}

@Module({
  controllers: [AuthController],
  providers: [
    { provide: AUTH_SERVICE, inject: [GATEWAY_CONFIG, KV_STORE, METRICS, LEGACY_SESSION_GET], useFactory: createAuth },
    AuthGuard,
  ],
  exports: [AUTH_SERVICE, AuthGuard],
})
export class AuthModule {}
