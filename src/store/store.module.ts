import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { createRedisClient } from './redis-client';
import { memoryProbe, redisProbe, STORE_PROBE, type StoreProbe } from './store-probe';

@Global()
@Module({
  providers: [
    {
      provide: STORE_PROBE,
      inject: [GATEWAY_CONFIG],
      useFactory: (config: GatewayConfig): StoreProbe =>
        config.redisUrl ? redisProbe(createRedisClient(config.redisUrl)) : memoryProbe,
    },
  ],
  exports: [STORE_PROBE],
})
export class StoreModule implements OnApplicationShutdown {
  constructor(@Inject(STORE_PROBE) private readonly probe: StoreProbe) {}

  async onApplicationShutdown(): Promise<void> {
    await this.probe.close();
  }
}
