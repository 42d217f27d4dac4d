import { Controller, Get, Header, HttpStatus, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { toProblem } from '../errors/problem';
import { sendProblem } from '../errors/problem-writer';
import { GatewayError } from '../errors/gateway-error';
import { LIFECYCLE, type Lifecycle } from '../lifecycle/lifecycle';
import { MigrationControl } from '../migration/migration-control';
import { KV_STORE, type KeyValueStore } from '../store/key-value-store';
import { METRICS, type GatewayMetrics } from '../telemetry/metrics';
import { probeDependencies } from './dependency-probe';

@Controller('health')
export class HealthController {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(KV_STORE) private readonly store: KeyValueStore,
    @Inject(LIFECYCLE) private readonly lifecycle: Lifecycle,
    @Inject(METRICS) private readonly metrics: GatewayMetrics,
    @Inject(MigrationControl) private readonly migration: MigrationControl,
  ) {}

  @Get()
  @Header('cache-control', 'no-store')
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @Header('cache-control', 'no-store')
  async ready(@Res() reply: FastifyReply) {
    const { store, legacy } = await probeDependencies(this.store, this.config.legacyUrls);
    const legacyUp = legacy.some(Boolean);
    const overridesRead = this.migration.overridesRead;
    const checks = {
      shutdown: this.lifecycle.shuttingDown ? 'in progress' : 'no',
      store: `${this.store.kind}: ${store ? 'up' : this.storeNeeded || !this.storeSeen ? 'down' : 'down (degraded: cache passes through, limits per pod)'}`,
      legacy: `${legacy.filter(Boolean).length}/${legacy.length} reachable${legacyUp || !this.legacySeen ? '' : ' (degraded: v1 answers 502, v2 modules serve)'}`,
      overrides: overridesRead
        ? 'read'
        : `not read: ${this.store.kind} has not answered since start; serving by the environment and the routes file`,
    };
    if (store) this.storeSeen = true;
    if (legacyUp) this.legacySeen = true;
    // Readiness says whether *this pod* should get traffic. A dependency every pod shares (Redis, the legacy app)
    // being down makes every pod unready at once, and the Service then answers nothing at all, v2 included
    // (Kubernetes' probe guidance: do not fail readiness on shared dependencies). So each gates a starting pod
    // until it has answered once (a wrong REDIS_URL or LEGACY_URL stalls a rollout instead of serving degraded),
    // and later outages leave the pod ready, except the store when requests cannot be served without it
    // (fail-closed rate limits). The operators' overrides (figway:flags: a rollback in force) gate a starting pod the
    // same way: until they are read it would serve by the routes file, perhaps against a rollback.
    const ok =
      !this.lifecycle.shuttingDown &&
      (store || (this.storeSeen && !this.storeNeeded)) &&
      (legacyUp || this.legacySeen) &&
      overridesRead;
    // gateway_dependency_up is checked at each scrape (GatewayMetrics.watchDependencies), not here.
    this.metrics.ready.set(ok ? 1 : 0);
    if (ok) return reply.status(HttpStatus.OK).send({ status: store && legacyUp ? 'ready' : 'degraded', checks });
    const problem = toProblem(
      new GatewayError('NOT_READY', 'The gateway is not ready to take traffic.', { extra: { checks } }),
      reply.request.id,
      '/health/ready',
    );
    return sendProblem(reply, problem);
  }

  /** Whether the store / a legacy instance has answered a readiness check since start. */
  private storeSeen = false;
  private legacySeen = false;

  /** Fail-closed rate limits refuse every limited request while the store is down: then the pod cannot serve. */
  private get storeNeeded(): boolean {
    const limited =
      this.config.rateLimit !== 'off' || this.config.routes.some((r) => r.rate_limit && r.rate_limit !== 'off');
    return this.store.kind === 'redis' && !this.config.rateLimitFailOpen && limited;
  }
}
