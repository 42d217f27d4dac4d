import { BadRequestException, Controller, Delete, HttpCode, Inject, Query, UseGuards } from '@nestjs/common';
import { CACHE_PREFIX } from '../cache/cache-key';
import { KV_STORE, type KeyValueStore } from '../store/key-value-store';
import { AdminTokenGuard } from './admin-token.guard';

/**
 * Operator purge. `url` removes one URL, query in the order it was requested, since keys are the target as sent
 * (every host, route and Vary variant); `prefix` removes every URL that starts with it (`/p?` is every query of /p). Purges reach all instances, since entries live in the shared store.
 */
@Controller('admin/cache')
@UseGuards(AdminTokenGuard)
export class CacheAdminController {
  constructor(@Inject(KV_STORE) private readonly store: KeyValueStore) {}

  @Delete()
  @HttpCode(200)
  async purge(@Query('url') url?: string, @Query('prefix') prefix?: string) {
    if ((url === undefined) === (prefix === undefined))
      throw new BadRequestException('Give exactly one of url= or prefix=.');
    const target = (url ?? prefix)!;
    if (!target.startsWith('/')) throw new BadRequestException('url and prefix are paths starting with /.');
    const deleted = await this.store.deleteByPrefix(CACHE_PREFIX + target + (url !== undefined ? '|' : ''));
    return { deleted };
  }
}
