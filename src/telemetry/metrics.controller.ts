import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { GatewayError } from '../errors/gateway-error';
import { METRICS, type GatewayMetrics } from './metrics';

@Controller('metrics')
export class MetricsController {
  constructor(
    @Inject(METRICS) private readonly metrics: GatewayMetrics,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Get()
  async scrape(@Res() reply: FastifyReply) {
    // With METRICS_PORT set, the public listener does not serve them (metrics-listener.ts).
    if (this.config.metricsPort !== undefined) throw new GatewayError('NOT_FOUND', 'No such resource.');
    const body = await this.metrics.registry.metrics();
    return reply
      .header('content-type', this.metrics.registry.contentType)
      .header('cache-control', 'no-store')
      .send(body);
  }
}
