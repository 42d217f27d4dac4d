import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { DataCipher } from '../crypto/data-cipher';
import { EncryptedStore } from './encrypted-store';
import { KV_STORE, type KeyValueStore } from './key-value-store';
import { MemoryStore } from './memory-store';
import { createRedisClient } from './redis-client';
import { RedisStore } from './redis-store';

function createStore(config: GatewayConfig): KeyValueStore {
  if (!config.redis) return new MemoryStore();
  const client = createRedisClient(config.redis);
  const log = new Logger('Store');
  let down = false;
  // ioredis reconnects by itself; log transitions only, not every failed attempt.
  client.on('error', (err: Error) => {
    if (!down) log.warn(`redis unavailable: ${err.message}`);
    down = true;
  });
  client.on('ready', () => {
    if (down) log.log('redis available again');
    down = false;
  });
  return new RedisStore(client);
}

export const ENCRYPTED_STORE = Symbol('ENCRYPTED_STORE');
/** Reads the legacy app's Flask-Session records (LEGACY_SESSION_MODE=flask_redis); undefined otherwise. */
export const LEGACY_SESSION_GET = Symbol('LEGACY_SESSION_GET');

function createLegacySessionGet(config: GatewayConfig, store: KeyValueStore) {
  const target = config.auth.legacySessionRedis;
  if (config.auth.legacySessionMode !== 'flask_redis' || !target) return undefined;
  // The gateway's own Redis when it is the same server; a separate client otherwise.
  const client = store.redis && target === config.redis ? store.redis : createRedisClient(target);
  return async (key: string) => client.getBuffer(key);
}

function createEncryptedStore(config: GatewayConfig, store: KeyValueStore): EncryptedStore {
  if (config.dataKeys) return new EncryptedStore(store, new DataCipher(config.dataKeys));
  new Logger('Store').warn(
    'DATA_ENCRYPTION_KEY is unset: user data is sealed with a key made at start-up; it is unreadable after a restart ' +
      'and by other instances. Set DATA_ENCRYPTION_KEY=kid:<openssl rand -base64 32> in production.',
  );
  return new EncryptedStore(store, DataCipher.ephemeral());
}

@Global()
@Module({
  providers: [
    { provide: KV_STORE, inject: [GATEWAY_CONFIG], useFactory: createStore },
    { provide: ENCRYPTED_STORE, inject: [GATEWAY_CONFIG, KV_STORE], useFactory: createEncryptedStore },
    { provide: LEGACY_SESSION_GET, inject: [GATEWAY_CONFIG, KV_STORE], useFactory: createLegacySessionGet },
  ],
  exports: [KV_STORE, ENCRYPTED_STORE, LEGACY_SESSION_GET],
})
export class StoreModule implements OnApplicationShutdown {
  constructor(@Inject(KV_STORE) private readonly store: KeyValueStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
