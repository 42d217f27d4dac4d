import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { AppModule } from './app.module';
import { effectiveFlags, type GatewayConfig } from './config';
import { clientErrorHandler } from './errors/client-error';
import { Lifecycle } from './lifecycle/lifecycle';
import type { ProxyWiring } from './proxy/proxy-routes';
import { requestIdFor } from './proxy/request-id';
import { UpstreamRegistry } from './proxy/upstream-registry';
import { RateLimiter } from './rate-limit/rate-limiter';
import { compilePolicies } from './rate-limit/rate-limit-policy';
import { compileRouteTable, type RouteTable } from './routing';
import { KV_STORE, type KeyValueStore } from './store/key-value-store';
import { ResponseCache } from './cache/response-cache';
import type { AuthService } from './auth/auth.service';
import { AUTH_SERVICE } from './auth/auth.tokens';
import { createAccessLog, type AccessLog } from './telemetry/access-log';
import { createLogger } from './telemetry/logger';
import { NestPinoLogger } from './telemetry/nest-logger';
import { zeroKnownSeries } from './telemetry/known-series';
import { GatewayMetrics } from './telemetry/metrics';
import { probeDependencies } from './health/dependency-probe';
import { declareRequestSlots } from './request-slots';
import { startMetricsListener } from './telemetry/metrics-listener';
import { V2_MODULES } from './v2/modules';
import { serverOptions, tuneServer } from './edge/server-options';
import { capConnections } from './edge/connection-cap';
import { OverloadMonitor } from './edge/overload';
import { compilePathCheck, foldRoutes } from './routing/path-guard';
import { MigrationControl } from './migration/migration-control';
import { compileProxiedResponses } from './security/proxied-headers';
import { compileSecurityHeaders, type SecurityHeaders } from './security/security-headers';
import type { PipelineParts } from './pipeline/parts';
import { compileRouteRules } from './pipeline/route-rules';
import { installPipeline } from './pipeline/stages';

export interface Gateway {
  app: NestFastifyApplication;
  fastify: FastifyInstance;
  lifecycle: Lifecycle;
  upstreams: UpstreamRegistry;
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** Nest on Fastify with the listener's options; the loggers are built here. */
async function createApp(
  config: GatewayConfig,
  lifecycle: Lifecycle,
  metrics: GatewayMetrics,
  securityHeaders: SecurityHeaders,
): Promise<{ app: NestFastifyApplication; fastify: FastifyInstance }> {
  // One pino logger for Fastify and Nest alike (src/telemetry/logger.ts).
  const log = createLogger(config);
  const adapter = new FastifyAdapter({
    loggerInstance: log,
    // Per-request logs come from the gateway's own access log, not Fastify's two lines per request.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdFor,
    requestIdHeader: false,
    trustProxy: config.trustProxy.length ? config.trustProxy : false,
    // Long opaque path segments (tokens, encoded ids) are legal; the default 100 would 404 them.
    routerOptions: { maxParamLength: 8_192 },
    clientErrorHandler: clientErrorHandler(securityHeaders),
    ...serverOptions(config),
  } as ConstructorParameters<typeof FastifyAdapter>[0]);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, lifecycle, metrics), adapter, {
    logger: new NestPinoLogger(log),
  });
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  tuneServer(app.getHttpServer(), config);
  capConnections(app.getHttpServer(), config.edge.maxConnections, () =>
    metrics.shed.inc({ reason: 'max_connections' }),
  );
  return { app, fastify };
}

function watchOverload(config: GatewayConfig, metrics: GatewayMetrics, log: FastifyBaseLogger): OverloadMonitor {
  const overload = new OverloadMonitor(
    { maxEventLoopLagMs: config.edge.shedEventLoopLagMs, maxHeapRatio: config.edge.shedHeapRatio },
    (reason) => {
      metrics.overloaded.set(reason ? 1 : 0);
      if (reason) log.warn({ reason, lagMs: Math.round(overload.lagMs) }, 'overloaded: shedding requests with 503');
      else log.info('load back to normal: no longer shedding');
    },
  );
  overload.start();
  return overload;
}

/** The response cache as the forwarder's exchange plugin, following the live `cache_enabled` flag. */
function responseCache(
  config: GatewayConfig,
  store: KeyValueStore,
  migration: MigrationControl,
  metrics: GatewayMetrics,
  log: FastifyBaseLogger,
): ProxyWiring['cache'] {
  if (!config.cacheEnabled) return undefined;
  let lastWarn = 0;
  const liveFlags = migration.flags;
  const cache = new ResponseCache(store, config.cache, {
    onResult: (route, result) => metrics.cache.inc({ route, result }),
    // At most one line per 30 s during an outage: the cache degrades to pass-through on its own.
    onStoreError: (op, err) => {
      metrics.storeErrors.inc({ user: 'cache' });
      if (Date.now() - lastWarn < 30_000) return;
      lastWarn = Date.now();
      log.warn({ op, err: (err as Error).message }, 'cache store unavailable; passing through');
    },
  });
  return { takes: (ex) => liveFlags.cacheEnabled && cache.takes(ex), handle: (ex) => cache.handle(ex) };
}

/** What the forwarders share: upstream pools, security headers for hijacked replies, metrics, side steering. */
function proxyWiring(
  config: GatewayConfig,
  table: RouteTable,
  upstreams: UpstreamRegistry,
  securityHeaders: SecurityHeaders,
  metrics: GatewayMetrics,
  accessLog: AccessLog | undefined,
): ProxyWiring {
  return {
    config,
    table,
    upstreams,
    responses: compileProxiedResponses(config, securityHeaders),
    onDone: (route, method, status, seconds, reply, firstByte) => {
      metrics.observe(route.id, route.targetLabel, method, status, seconds, firstByte);
      accessLog?.write(reply.request, route.id, route.targetLabel, status, seconds);
    },
    onUpstreamError: (upstream, kind) => metrics.upstreamErrors.inc({ upstream, kind }),
    streams: { opened: () => metrics.proxiedStreamsOpen.inc(), closed: () => metrics.proxiedStreamsOpen.dec() },
  };
}

/** The series a dashboard expects at 0 from the start: routes, upstreams and store users known at boot. */
function zeroSeries(metrics: GatewayMetrics, p: PipelineParts, upstreams: UpstreamRegistry): void {
  const { config, table, limiter } = p;
  const proxied = [...table.routes.filter((r) => r.target.kind !== 'module'), table.catchAll];
  zeroKnownSeries(metrics, {
    cachedRoutes: config.cacheEnabled ? proxied.filter((r) => r.cache).map((r) => r.id) : [],
    limitedRoutes: [
      ...(limiter ? [...table.routes, table.catchAll].filter((r) => p.rules.of(r.id).rateLimit).map((r) => r.id) : []),
      'csp-report',
    ],
    upstreams: upstreams.all().flatMap((set) => set.upstreams.map((u) => u.origin)),
    storeUsers: [...(config.cacheEnabled ? ['cache'] : []), ...(limiter ? ['rate_limit'] : [])],
  });
}

/** The parts the pipeline's stages are compiled from (src/pipeline/parts.ts). */
function pipelineParts(
  app: NestFastifyApplication,
  base: Pick<
    PipelineParts,
    'config' | 'lifecycle' | 'metrics' | 'accessLog' | 'overload' | 'securityHeaders' | 'migration' | 'wiring'
  >,
  store: KeyValueStore,
  modules: Set<string>,
): PipelineParts {
  const { config, migration } = base;
  const table = base.wiring.table;
  const folded = compileRouteTable({ ...config, routes: foldRoutes(config.routes) }, modules);
  // Also for module routes marked `auth:`: identified before the limiter runs, their callers are counted per user.
  const auth = table.routes.some((r) => r.auth) ? app.get<symbol, AuthService>(AUTH_SERVICE) : undefined;
  // No policy anywhere (RATE_LIMIT=off, no route limits): no hook, no per-request cost.
  const anyLimit = config.rateLimit !== 'off' || config.routes.some((r) => r.rate_limit && r.rate_limit !== 'off');
  return {
    ...base,
    table,
    pathCheck: compilePathCheck(table, folded),
    rules: compileRouteRules({ config, table, migration, policyFor: compilePolicies(config) }),
    auth,
    limiter: anyLimit ? new RateLimiter(store, config.rateLimitFailOpen, config.rateLimitSyncMs) : undefined,
    server: app.getHttpServer(),
    startModules: async () => {
      await app.init();
    },
  };
}

export async function createGateway(
  config: GatewayConfig,
  lifecycle = new Lifecycle(),
  metrics = new GatewayMetrics(),
): Promise<Gateway> {
  metrics.recordFlags(config);
  // Decided once here; Fastify replies get them through helmet, proxied ones through the forwarder, answers
  // Node's parser refuses through the client error handler.
  const securityHeaders = compileSecurityHeaders(config);
  const { app, fastify } = await createApp(config, lifecycle, metrics, securityHeaders);
  const overload = watchOverload(config, metrics, fastify.log);
  const modules = new Set(Object.keys(V2_MODULES));
  const table = compileRouteTable(config, modules);
  const upstreams = new UpstreamRegistry(config);
  metrics.watchUpstreams(() => upstreams.all());
  const accessLog = createAccessLog(fastify.log, config);
  const wiring = proxyWiring(config, table, upstreams, securityHeaders, metrics, accessLog);
  const store = app.get<symbol, KeyValueStore>(KV_STORE);
  // Live flags (weights, rollback, fallback, cache_enabled, route_all_to_legacy): src/migration.
  const migration = app.get(MigrationControl);
  wiring.steering = migration.steering(fastify, table);
  wiring.cache = responseCache(config, store, migration, metrics, fastify.log);
  declareRequestSlots(fastify);
  const base = { config, lifecycle, metrics, accessLog, overload, securityHeaders, migration, wiring };
  const parts = pipelineParts(app, base, store, modules);
  // The stages, in order (src/pipeline/stages.ts); Nest's init and the proxied routes are among them.
  await installPipeline(fastify, parts);
  // After the proxied routes: their upstream sets exist now.
  zeroSeries(metrics, parts, upstreams);
  metrics.watchDependencies(() => probeDependencies(store, config.legacyUrls));
  fastify.log.info(
    { flags: effectiveFlags(config), routes: table.routes.map((r) => `${r.id} -> ${r.targetLabel}`) },
    'effective configuration',
  );
  return gatewayHandle(app, fastify, lifecycle, upstreams, { config, metrics, overload });
}

function gatewayHandle(
  app: NestFastifyApplication,
  fastify: FastifyInstance,
  lifecycle: Lifecycle,
  upstreams: UpstreamRegistry,
  { config, metrics, overload }: { config: GatewayConfig; metrics: GatewayMetrics; overload: OverloadMonitor },
): Gateway {
  let metricsServer: Server | undefined;
  return {
    app,
    fastify,
    lifecycle,
    upstreams,
    async listen() {
      await app.listen({ port: config.port, host: config.host });
      if (config.metricsPort !== undefined)
        metricsServer = await startMetricsListener(metrics.registry, config.host, config.metricsPort);
      return app.getUrl();
    },
    async close() {
      overload.stop();
      await app.close();
      await upstreams.close();
      // Last: the drain stays observable to the end.
      if (metricsServer) {
        metricsServer.closeAllConnections();
        await new Promise((r) => metricsServer!.close(r));
      }
    },
  };
}
