import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { AdminSessions } from '../console/admin-sessions';
import { consoleRequestRefused, sessionIdOf } from '../console/session-cookie';
import { GatewayError } from '../errors/gateway-error';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Compares `token` with ADMIN_TOKEN in constant time (both hashed first, so lengths leak nothing either). */
export class AdminToken {
  private readonly expected?: Buffer;

  constructor(token: string | undefined) {
    this.expected = token ? digest(token) : undefined;
  }

  /** With no ADMIN_TOKEN the admin API, console included, does not exist: every /admin path is 404. */
  assertOn(): void {
    if (!this.expected) throw new GatewayError('NOT_FOUND', 'The admin API is off (ADMIN_TOKEN is not set).');
  }

  matches(token: string): boolean {
    return this.expected !== undefined && timingSafeEqual(digest(token), this.expected);
  }
}

/**
 * The admin API's door: Bearer ADMIN_TOKEN (curl, scripts: unchanged), or the console's session cookie
 * (src/console). A cookie-authenticated change must also pass the console's CSRF check.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly token: AdminToken;

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    @Inject(AdminSessions) private readonly sessions: AdminSessions,
  ) {
    this.token = new AdminToken(config.adminToken);
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    this.token.assertOn();
    const request = ctx.switchToHttp().getRequest<FastifyRequest>();
    const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (bearer !== undefined && this.token.matches(bearer)) return true;
    if (!(await this.sessions.find(sessionIdOf(request))))
      throw new GatewayError('UNAUTHENTICATED', 'A valid admin bearer token or console session is required.');
    const refused = consoleRequestRefused(request);
    if (refused) throw new GatewayError('CSRF_REJECTED', refused);
    return true;
  }
}
