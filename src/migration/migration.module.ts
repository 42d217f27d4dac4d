import { Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { KV_STORE, type KeyValueStore } from '../store/key-value-store';
import { METRICS, type GatewayMetrics } from '../telemetry/metrics';
import { MigrationAdminController } from './migration-admin.controller';
import { MigrationControl } from './migration-control';

@Module({
  controllers: [MigrationAdminController],
  providers: [
    {
      provide: MigrationControl,
      inject: [GATEWAY_CONFIG, KV_STORE, METRICS],
      useFactory: (config: GatewayConfig, store: KeyValueStore, metrics: GatewayMetrics) =>
        new MigrationControl(config, store, metrics),
    },
  ],
  exports: [MigrationControl],
})
export class MigrationModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(MigrationControl) private readonly control: MigrationControl) {}

  /** Awaited by app.init(), before the gateway listens: see MigrationControl.start. */
  async onApplicationBootstrap(): Promise<void> {
    await this.control.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.control.close();
  }
}
