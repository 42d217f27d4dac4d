import { Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { MigrationControl } from '../migration/migration-control';
import { MigrationModule } from '../migration/migration.module';
import { KV_STORE, type KeyValueStore } from '../store/key-value-store';
import { METRICS, type GatewayMetrics } from '../telemetry/metrics';
import { RolloutAdminController } from './rollout-admin.controller';
import { RolloutService } from './rollout.service';

@Module({
  imports: [MigrationModule],
  controllers: [RolloutAdminController],
  providers: [
    {
      provide: RolloutService,
      inject: [GATEWAY_CONFIG, KV_STORE, METRICS, MigrationControl],
      useFactory: (config: GatewayConfig, store: KeyValueStore, metrics: GatewayMetrics, control: MigrationControl) =>
        new RolloutService(config, store, metrics, control),
    },
  ],
  // The console's snapshot stream lists the rollouts (src/console).
  exports: [RolloutService],
})
export class RolloutModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(RolloutService) private readonly rollouts: RolloutService) {}

  /** Awaited by app.init(), before the gateway listens: see RolloutService.start. */
  async onApplicationBootstrap(): Promise<void> {
    await this.rollouts.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.rollouts.close();
  }
}
