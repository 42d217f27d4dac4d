import { Controller, Get, Header, HttpStatus, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { PROBLEM_CONTENT_TYPE, toProblem } from '../errors/problem';
import { GatewayError } from '../errors/gateway-error';
import { LIFECYCLE, type Lifecycle } from '../lifecycle/lifecycle';
import { KV_STORE, type KeyValueStore } from '../store/key-value-store';
import { canConnect } from './legacy-reachability';

@Controller('health')
export class HealthController {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(KV_STORE) private readonly store: KeyValueStore,
    @Inject(LIFECYCLE) private readonly lifecycle: Lifecycle,
  ) {}

  @Get()
  @Header('cache-control', 'no-store')
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @Header('cache-control', 'no-store')
  async ready(@Res() reply: FastifyReply) {
    const [store, legacy] = await Promise.all([
      this.store.ping(),
      Promise.all(this.config.legacyUrls.map((u) => canConnect(u, 1_000))),
    ]);
    const checks = {
      shutdown: this.lifecycle.shuttingDown ? 'in progress' : 'no',
      store: `${this.store.kind}: ${store ? 'up' : 'down'}`,
      legacy: `${legacy.filter(Boolean).length}/${legacy.length} reachable`,
    };
    const ok = !this.lifecycle.shuttingDown && store && legacy.some(Boolean);
    if (ok) return reply.status(HttpStatus.OK).send({ status: 'ready', checks });
    const problem = toProblem(
      new GatewayError('NOT_READY', 'The gateway is not ready to take traffic.', { extra: { checks } }),
      reply.request.id,
      '/health/ready',
    );
    return reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
  }
}
