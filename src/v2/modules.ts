import type { Type } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { MetaModule } from './meta/meta.module';

/** v2 modules by the name routes.yaml uses in `target: module:<name>`. */
export const V2_MODULES: Record<string, Type<unknown>> = {
  meta: MetaModule,
  auth: AuthModule,
};
