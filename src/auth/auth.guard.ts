import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../errors/gateway-error';
import type { AuthService } from './auth.service';
import { AUTH_SERVICE } from './auth.tokens';
import { crossSiteRefused } from './csrf';

/** A request behind AuthGuard: its `figwayUser` (request-slots.ts) is set. */
export type AuthedRequest = FastifyRequest;

/** Puts the caller's identity on the request, or refuses with 401 (reason code) / 403 (cross-site cookie use). */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(@Inject(AUTH_SERVICE) private readonly auth: AuthService) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const request = ctx.switchToHttp().getRequest<AuthedRequest>();
    // Already proven by the onRequest auth hook (a route marked `auth:` in routes.yaml), CSRF check included.
    if (request.figwayUser) return true;
    const identity = await this.auth.authenticate(request.headers);
    if (identity.method === 'legacy_session' && crossSiteRefused(request.method, request.headers)) {
      throw new GatewayError('CSRF_REJECTED', 'A cookie-authenticated change must come from the same origin.');
    }
    request.figwayUser = identity;
    return true;
  }
}
