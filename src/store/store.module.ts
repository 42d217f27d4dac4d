import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
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

@Global()
@Module({
  providers: [{ provide: KV_STORE, inject: [GATEWAY_CONFIG], useFactory: createStore }],
  exports: [KV_STORE],
})
export class StoreModule implements OnApplicationShutdown {
  constructor(@Inject(KV_STORE) private readonly store: KeyValueStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
