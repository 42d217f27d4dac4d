import { Body, Controller, Get, HttpCode, Inject, Param, Put, UseGuards } from '@nestjs/common';
import type { z } from 'zod';
import { AdminTokenGuard } from '../admin/admin-token.guard';
import { GatewayError } from '../errors/gateway-error';
import { MigrationControl } from './migration-control';
import { flagsPatchSchema, routePatchSchema } from './overrides';

function parse<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const errors = r.error.issues.map(
    (i) => `${i.path.join('.') || (i.code === 'unrecognized_keys' ? i.keys.join(', ') : '(body)')}: ${i.message}`,
  );
  throw new GatewayError('VALIDATION_FAILED', errors.join('; '), { extra: { errors } });
}

/** Live migration flags and routes (README "Migration controls"); the logic is MigrationControl's. */
@Controller('admin')
@UseGuards(AdminTokenGuard)
export class MigrationAdminController {
  constructor(@Inject(MigrationControl) private readonly control: MigrationControl) {}

  @Get('flags')
  flags() {
    return this.control.describeFlags();
  }

  @Put('flags')
  @HttpCode(200)
  setFlags(@Body() body: unknown) {
    return this.control.setFlags(parse(flagsPatchSchema, body));
  }

  @Get('routes')
  routes() {
    return this.control.describeRoutesAcrossCluster();
  }

  /** The most recent shadow differences, newest first (redacted, bodies truncated). */
  @Get('shadow')
  shadow() {
    return { diffs: this.control.shadow.recent() };
  }

  @Put('routes/:id')
  @HttpCode(200)
  setRoute(@Param('id') id: string, @Body() body: unknown) {
    return this.control.setRoute(id, parse(routePatchSchema, body));
  }
}
