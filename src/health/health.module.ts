import { Module } from '@nestjs/common';
import { MigrationModule } from '../migration/migration.module';
import { HealthController } from './health.controller';

@Module({ imports: [MigrationModule], controllers: [HealthController] })
export class HealthModule {}
