import {
  Global,
  Inject,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { AdminToken } from '../admin/admin-token.guard';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { INSTANCE_ID } from '../lifecycle/instance-id';
import { MigrationControl } from '../migration/migration-control';
import { MigrationModule } from '../migration/migration.module';
import { RolloutModule } from '../rollout/rollout.module';
import { RolloutService } from '../rollout/rollout.service';
import { KV_STORE, type KeyValueStore } from '../store/key-value-store';
import { AdminSessions } from './admin-sessions';
import { ConsoleAssets } from './console-assets';
import { ConsolePageController } from './console-page.controller';
import { ConsolePages } from './console-pages';
import { EventsController } from './events.controller';
import { InstanceBeacon } from './instances';
import { SessionController } from './session.controller';
import { buildSnapshot } from './snapshot';
import { SnapshotFeed } from './snapshot-feed';

/**
 * The migration console (issue 21; docs/operations.md "Admin API"): sign-in sessions, the /admin/ pages and their
 * files, the live snapshot stream and the instances beacon. Global because AdminTokenGuard, used by every admin
 * controller, accepts this module's sessions.
 */
@Global()
@Module({
  imports: [MigrationModule, RolloutModule],
  controllers: [SessionController, ConsolePageController, EventsController],
  providers: [
    { provide: AdminSessions, inject: [KV_STORE], useFactory: (store: KeyValueStore) => new AdminSessions(store) },
    {
      provide: ConsolePages,
      inject: [GATEWAY_CONFIG, AdminSessions],
      useFactory: (config: GatewayConfig, sessions: AdminSessions) =>
        new ConsolePages(new AdminToken(config.adminToken), sessions, new ConsoleAssets()),
    },
    {
      provide: InstanceBeacon,
      inject: [KV_STORE],
      useFactory: (store: KeyValueStore) => new InstanceBeacon(store, INSTANCE_ID),
    },
    {
      provide: SnapshotFeed,
      inject: [MigrationControl, RolloutService, InstanceBeacon],
      useFactory: (control: MigrationControl, rollouts: RolloutService, instances: InstanceBeacon) =>
        new SnapshotFeed(() => buildSnapshot({ control, rollouts, instances })),
    },
  ],
  exports: [AdminSessions],
})
export class ConsoleModule implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(HttpAdapterHost) private readonly adapter: HttpAdapterHost,
    @Inject(ConsolePages) private readonly pages: ConsolePages,
    @Inject(InstanceBeacon) private readonly beacon: InstanceBeacon,
    @Inject(SnapshotFeed) private readonly feed: SnapshotFeed,
  ) {}

  /** `/admin/` beside Nest's `/admin`: Nest strips a trailing slash from every path it declares. */
  onModuleInit(): void {
    const fastify = this.adapter.httpAdapter.getInstance<FastifyInstance>();
    fastify.get('/admin/', (request, reply) => this.pages.answerRaw(request, reply));
  }

  onApplicationBootstrap(): void {
    this.beacon.start();
  }

  onApplicationShutdown(): void {
    this.beacon.stop();
    this.feed.stop();
  }
}
