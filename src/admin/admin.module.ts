import { Module } from '@nestjs/common';
import { AdminTokenGuard } from './admin-token.guard';
import { CacheAdminController } from './cache-admin.controller';

@Module({ controllers: [CacheAdminController], providers: [AdminTokenGuard] })
export class AdminModule {}
