import { Body, Controller, Get, Header, HttpCode, Inject, Post, Req, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error';
import { AuthFailure } from './auth-failure';
import { AuthGuard, type AuthedRequest } from './auth.guard';
import type { AuthService } from './auth.service';
import { AUTH_SERVICE } from './auth.tokens';
import { crossSiteRefused } from './csrf';

/** RFC 6749 5.1 (kept by RFC 9700): a response carrying tokens must not be stored by any cache, shared or private. */
const TOKEN_CACHE_CONTROL = 'no-store';

const refreshBody = z.object({ refresh_token: z.string().min(1).max(512) }).strict();

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (!r.success) {
    throw new GatewayError(
      'VALIDATION_FAILED',
      r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
    );
  }
  return r.data;
}

@Controller('api/v2')
export class AuthController {
  constructor(@Inject(AUTH_SERVICE) private readonly auth: AuthService) {}

  /** Exchanges a valid legacy session (the migration's bridge) for an access and a refresh token. */
  @Post('auth/token')
  @HttpCode(200)
  @Header('Cache-Control', TOKEN_CACHE_CONTROL)
  async token(@Req() request: AuthedRequest) {
    if (!this.auth.tokens.canIssue)
      throw new GatewayError('TOKEN_ISSUANCE_OFF', 'Set JWT_SECRET or JWT_PRIVATE_KEY to issue tokens.');
    const session = await this.auth.legacySession(request.headers);
    if (!session) throw new AuthFailure('session_invalid', 'A signed-in legacy session is required.');
    if (crossSiteRefused(request.method, request.headers)) {
      throw new GatewayError('CSRF_REJECTED', 'A cookie-authenticated change must come from the same origin.');
    }
    const pair = await this.auth.tokens.issue(session.userId, 'legacy_session');
    // The tokens are the session's user's, and so is whatever the listeners carry over from this session.
    await this.auth.exchanged(session.userId, request.headers);
    return pair;
  }

  @Post('auth/refresh')
  @HttpCode(200)
  @Header('Cache-Control', TOKEN_CACHE_CONTROL)
  async refresh(@Body() body: unknown) {
    return this.auth.tokens.refresh(parse(refreshBody, body).refresh_token);
  }

  /** Revokes the refresh family and the access token itself; needs the bearer token being ended. */
  @Post('auth/logout')
  @HttpCode(204)
  async logout(@Req() request: AuthedRequest) {
    const h = request.headers.authorization ?? '';
    const token = /^Bearer[ ]+([^ ]+)$/i.exec(h)?.[1];
    if (!token) throw new AuthFailure('credentials_missing', 'Logout takes the bearer access token to end.');
    await this.auth.tokens.logout(await this.auth.verifyBearer(token));
  }

  @Get('me')
  @UseGuards(AuthGuard)
  me(@Req() request: AuthedRequest) {
    const id = request.figwayUser!;
    return {
      user_id: id.userId,
      method: id.method,
      ...(id.claims ? { token: { jti: id.claims.jti, exp: id.claims.exp, iss: id.claims.iss } } : {}),
    };
  }
}
