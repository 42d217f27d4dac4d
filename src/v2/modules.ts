import type { Type } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { CHAT_BODY_LIMIT } from './chat/chat-request';
import { ChatModule } from './chat/chat.module';
import { MetaModule } from './meta/meta.module';

/** v2 modules by the name routes.yaml uses in `target: module:<name>`. */
export const V2_MODULES: Record<string, Type<unknown>> = {
  meta: MetaModule,
  auth: AuthModule,
  chat: ChatModule,
};

/** Request body limits of v2 module routes below Fastify's 1 MiB default, by exact route path (413 past them). */
export const V2_BODY_LIMITS: Record<string, number> = {
  '/api/v2/chat': CHAT_BODY_LIMIT,
};
