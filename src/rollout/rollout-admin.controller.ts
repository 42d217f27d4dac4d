import { Controller, Get, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { AdminTokenGuard } from '../admin/admin-token.guard';
import { GatewayError } from '../errors/gateway-error';
import { ROLLOUT_ACTIONS, type RolloutAction } from './rollout-state';
import { RolloutService } from './rollout.service';

/** The rollout autopilot's admin API (docs/migration.md "Rollout autopilot"); the logic is RolloutService's. */
@Controller('admin/rollouts')
@UseGuards(AdminTokenGuard)
export class RolloutAdminController {
  constructor(@Inject(RolloutService) private readonly rollouts: RolloutService) {}

  @Get()
  list() {
    return this.rollouts.list();
  }

  @Get(':route')
  one(@Param('route') route: string) {
    return this.rollouts.describe(route);
  }

  @Post(':route/:action')
  @HttpCode(200)
  act(@Param('route') route: string, @Param('action') action: string) {
    if (!(ROLLOUT_ACTIONS as readonly string[]).includes(action))
      throw new GatewayError('NOT_FOUND', `No rollout action ${action}: use ${ROLLOUT_ACTIONS.join(', ')}.`);
    return this.rollouts.act(route, action as RolloutAction);
  }
}
