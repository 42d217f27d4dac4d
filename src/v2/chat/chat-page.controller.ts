import { Controller, Get, Header, Inject, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthService } from '../../auth/auth.service';
import { AUTH_SERVICE } from '../../auth/auth.tokens';
import { CHAT_PAGE_HTML } from './page/page-html';
import { CHAT_PAGE_JS } from './page/page-script';
import { describeSession, type PageSession } from './page/page-session';
import { CHAT_PAGE_CSS, CHAT_PAGE_ICON } from './page/page-style';

/**
 * GET /chat: a page where someone signed in to the legacy app tries the v2 chat. No inline script, style or event
 * handler anywhere, so it runs under a strict CSP (`default-src 'self'`); its script, stylesheet and icon are
 * same-origin files. The page is public: its script does the sign-in and the token exchange.
 */
@Controller('chat')
export class ChatPageController {
  constructor(@Inject(AUTH_SERVICE) private readonly auth: AuthService) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-cache')
  page(): string {
    return CHAT_PAGE_HTML;
  }

  @Get('app.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('cache-control', 'no-cache')
  @Header('x-content-type-options', 'nosniff')
  script(): string {
    return CHAT_PAGE_JS;
  }

  @Get('app.css')
  @Header('content-type', 'text/css; charset=utf-8')
  @Header('cache-control', 'no-cache')
  @Header('x-content-type-options', 'nosniff')
  style(): string {
    return CHAT_PAGE_CSS;
  }

  @Get('icon.svg')
  @Header('content-type', 'image/svg+xml')
  @Header('cache-control', 'max-age=86400')
  icon(): string {
    return CHAT_PAGE_ICON;
  }

  /**
   * Whether the caller has a legacy session, and whose: 200 either way. The page asks on load; a 401 here (or
   * from the token exchange it used to try first) would show every signed-out visitor a console error.
   * `no-store`: the answer names a user and depends on the cookie.
   */
  @Get('session')
  @Header('cache-control', 'no-store')
  async session(@Req() request: FastifyRequest): Promise<PageSession> {
    return describeSession(await this.auth.legacySession(request.headers));
  }
}
