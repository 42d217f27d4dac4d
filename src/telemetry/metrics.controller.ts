import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { METRICS, type GatewayMetrics } from './metrics';

@Controller('metrics')
export class MetricsController {
  constructor(@Inject(METRICS) private readonly metrics: GatewayMetrics) {}

  @Get()
  async scrape(@Res() reply: FastifyReply) {
    const body = await this.metrics.registry.metrics();
    return reply.header('content-type', this.metrics.registry.contentType).header('cache-control', 'no-store').send(body);
  }
}
