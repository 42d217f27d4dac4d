import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AdminModule } from './admin/admin.module';
import { GATEWAY_CONFIG, type GatewayConfig } from './config';
import { ConsoleModule } from './console/console.module';
import { ProblemFilter } from './errors/problem.filter';
import { HealthModule } from './health/health.module';
import { LIFECYCLE, type Lifecycle } from './lifecycle/lifecycle';
import { MigrationModule } from './migration/migration.module';
import { RolloutModule } from './rollout/rollout.module';
import { StoreModule } from './store/store.module';
import { METRICS, type GatewayMetrics } from './telemetry/metrics';
import { TelemetryModule } from './telemetry/telemetry.module';
import { V2_MODULES } from './v2/modules';

@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig, lifecycle: Lifecycle, metrics: GatewayMetrics): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        StoreModule,
        HealthModule,
        AdminModule,
        TelemetryModule,
        MigrationModule,
        RolloutModule,
        ConsoleModule,
        ...Object.values(V2_MODULES),
      ],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: LIFECYCLE, useValue: lifecycle },
        { provide: METRICS, useValue: metrics },
        { provide: APP_FILTER, useClass: ProblemFilter },
      ],
      exports: [GATEWAY_CONFIG, LIFECYCLE, METRICS],
    };
  }
}
