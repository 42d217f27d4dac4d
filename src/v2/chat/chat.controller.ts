import { Body, Controller, Get, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AuthGuard, type AuthedRequest } from '../../auth/auth.guard';
import { GatewayError } from '../../errors/gateway-error';
import { chatBody } from './chat-request';
import { ChatService } from './chat.service';

export const CHAT_SERVICE = Symbol('CHAT_SERVICE');

@Controller('api/v2/chat')
@UseGuards(AuthGuard)
export class ChatController {
  constructor(@Inject(CHAT_SERVICE) private readonly chat: ChatService) {}

  /** SSE by default, one JSON object with `Accept: application/json` (DESIGN.md, Endpoints). */
  @Post()
  async send(@Req() request: AuthedRequest, @Res() reply: FastifyReply, @Body() body: unknown): Promise<void> {
    // Fastify parsed JSON for us; anything else (text/plain is parsed as a string) is not a chat request.
    if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(String(request.headers['content-type'] ?? ''))) {
      throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', 'Send the chat request as application/json.');
    }
    const parsed = chatBody.safeParse(body);
    if (!parsed.success) {
      throw new GatewayError(
        'VALIDATION_FAILED',
        parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
      );
    }
    await this.chat.chat(request, reply, parsed.data);
  }

  @Get('history')
  history(@Req() request: AuthedRequest) {
    return this.chat.history(request);
  }
}
