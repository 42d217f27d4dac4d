import { Controller, Get, Inject, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminTokenGuard } from '../admin/admin-token.guard';
import { ConsolePages } from './console-pages';

/**
 * The migration console (issue 21): /admin and /admin/ (the latter a Fastify route, see ConsoleModule), and its
 * three files. The sign-in script and the stylesheet are public (the sign-in page needs them); the console's
 * script needs a session, so nothing of the console's inner workings is served to someone signed out.
 */
@Controller('admin')
export class ConsolePageController {
  constructor(@Inject(ConsolePages) private readonly pages: ConsolePages) {}

  @Get()
  page(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.pages.page(request, reply);
  }

  @Get('assets/signin.js')
  signinScript(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.pages.asset('signin.js', reply);
  }

  @Get('assets/console.css')
  style(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.pages.asset('console.css', reply);
  }

  @Get('assets/console.js')
  @UseGuards(AdminTokenGuard)
  consoleScript(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.pages.asset('console.js', reply);
  }
}
