import { Module } from '@nestjs/common';
import { AuthModule } from '../../auth/auth.module';
import type { AuthService } from '../../auth/auth.service';
import { AUTH_SERVICE } from '../../auth/auth.tokens';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config';
import type { EncryptedStore } from '../../store/encrypted-store';
import { KV_STORE, type KeyValueStore } from '../../store/key-value-store';
import { ENCRYPTED_STORE } from '../../store/store.module';
import { METRICS, type GatewayMetrics } from '../../telemetry/metrics';
import { AiCache } from './ai-cache';
import { ChatPageController } from './chat-page.controller';
import { CHAT_SERVICE, ChatController } from './chat.controller';
import { ChatService } from './chat.service';
import { ConversationStore } from './conversation-store';
import { LegacyHistory } from './legacy-history';
import { createProvider } from './providers/create-provider';
import { LLM_ERROR_KINDS } from './providers/llm-provider';
import { zeroChatSeries } from '../../telemetry/known-series';

function createChat(
  config: GatewayConfig,
  store: KeyValueStore,
  sealed: EncryptedStore,
  metrics: GatewayMetrics,
  auth: AuthService,
): ChatService {
  const provider = createProvider(config.llm, (name, kind) => {
    metrics.chatProviderErrors.inc({ provider: name, kind });
    metrics.chatKeyFallbacks.inc({ provider: name });
  });
  const conversations = new ConversationStore(sealed, new LegacyHistory(auth, config), config.llm.sessionTtlS * 1000);
  // A client that exchanges its cookie and then sends only the token would start empty: its conversation is
  // created (from the legacy history, once: SET NX) when the session is proven. The chat path still does the same
  // for cookie callers; whichever comes first writes the record.
  auth.onExchange((userId, headers) =>
    conversations.load(userId, headers).then(
      () => undefined,
      () => metrics.storeErrors.inc({ user: 'chat' }),
    ),
  );
  const cache = new AiCache(store, config.llm.cacheTtlS, () => metrics.storeErrors.inc({ user: 'ai_cache' }));
  const chat = new ChatService(config.llm, provider, conversations, cache, metrics);
  zeroChatSeries(metrics, {
    provider: provider.name,
    models: [chat.modelFor('pro'), chat.modelFor('flash')],
    // An aborted call (the client left) is not a provider error and is not counted.
    errorKinds: LLM_ERROR_KINDS.filter((kind) => kind !== 'aborted'),
    storeUsers: cache.enabled ? ['chat', 'ai_cache'] : ['chat'],
  });
  return chat;
}

/** v2 streaming chat (issue 7): POST /api/v2/chat, GET /api/v2/chat/history, and the /chat page. */
@Module({
  imports: [AuthModule],
  controllers: [ChatController, ChatPageController],
  providers: [
    {
      provide: CHAT_SERVICE,
      inject: [GATEWAY_CONFIG, KV_STORE, ENCRYPTED_STORE, METRICS, AUTH_SERVICE],
      useFactory: createChat,
    },
  ],
})
export class ChatModule {}
