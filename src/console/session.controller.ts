import { Body, Controller, Delete, Get, Header, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminToken } from '../admin/admin-token.guard';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { GatewayError } from '../errors/gateway-error';
import { AdminSessions } from './admin-sessions';
import { clearedSessionCookie, consoleRequestRefused, sessionCookie, sessionIdOf } from './session-cookie';

/**
 * The console's sign-in: the admin token goes in a POST body once and comes back as an HttpOnly session cookie,
 * so it is never in a URL, a page or page script's reach afterwards. Sign-in itself needs the console header too:
 * another site must not sign a browser in to a session of its choosing (login CSRF).
 */
@Controller('admin/session')
export class SessionController {
  private readonly token: AdminToken;

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    @Inject(AdminSessions) private readonly sessions: AdminSessions,
  ) {
    this.token = new AdminToken(config.adminToken);
  }

  @Post()
  @HttpCode(204)
  async signIn(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Body() body: unknown) {
    this.token.assertOn();
    const refused = consoleRequestRefused(request);
    if (refused) throw new GatewayError('CSRF_REJECTED', refused);
    const given = (body as { token?: unknown } | null)?.token;
    if (typeof given !== 'string' || !this.token.matches(given))
      throw new GatewayError('UNAUTHENTICATED', 'That is not the admin token.');
    const { id } = await this.sessions.create();
    reply.header('set-cookie', sessionCookie(request, id));
  }

  /** 200 either way (a signed-out console asks on load; a 401 would be a console error on every visit). */
  @Get()
  @Header('cache-control', 'no-store')
  async state(@Req() request: FastifyRequest) {
    this.token.assertOn();
    const session = await this.sessions.find(sessionIdOf(request));
    return { signed_in: Boolean(session), expires_at: session?.expiresAt.toISOString() ?? null };
  }

  @Delete()
  @HttpCode(204)
  async signOut(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    this.token.assertOn();
    const id = sessionIdOf(request);
    if (id !== undefined) {
      const refused = consoleRequestRefused(request);
      if (refused) throw new GatewayError('CSRF_REJECTED', refused);
    }
    await this.sessions.end(id);
    reply.header('set-cookie', clearedSessionCookie(request));
  }
}
