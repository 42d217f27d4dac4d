import { Controller, Get, Header } from '@nestjs/common';
import { CHAT_PAGE_HTML } from './page/page-html';
import { CHAT_PAGE_JS } from './page/page-script';

/**
 * GET /chat: a page where someone signed in to the legacy app tries the v2 chat. No inline script, style or event
 * handler anywhere, so it runs under a strict CSP (`default-src 'self'`); its script is a same-origin file.
 * The page is public: its script does the sign-in and the token exchange.
 */
@Controller('chat')
export class ChatPageController {
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
}
