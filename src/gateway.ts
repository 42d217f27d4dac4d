import { METHODS, type Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController, type FastifyInstance } from 'fastify';
import { AppModule } from './app.module';
import { effectiveFlags, type GatewayConfig } from './config';
import { clientErrorHandler } from './errors/client-error';
import { Lifecycle } from './lifecycle/lifecycle';
import { wasForwarded } from './proxy/forwarder';
import { registerProxyRoutes, redirectModuleRoutes, type ProxyWiring } from './proxy/proxy-routes';
import { requestIdFor } from './proxy/request-id';
import { UpstreamRegistry } from './proxy/upstream-registry';
import { attachWebSocketProxy } from './proxy/websocket';
import { upgradeAdmission } from './edge/upgrade-admission';
import { RateLimiter } from './rate-limit/rate-limiter';
import { installRateLimitHook } from './rate-limit/rate-limit-hook';
import { compilePolicies, type RateLimitPolicy } from './rate-limit/rate-limit-policy';
import { compileRouteTable, labelRoutes, type RouteConfig } from './routing';
import { KV_STORE, type KeyValueStore } from './store/key-value-store';
import { ResponseCache } from './cache/response-cache';
import { installAuthHook, type AuthRouteConfig } from './auth/auth-hook';
import type { AuthService } from './auth/auth.service';
import { AUTH_SERVICE } from './auth/auth.tokens';
import { createAccessLog } from './telemetry/access-log';
import { createLogger } from './telemetry/logger';
import { NestPinoLogger } from './telemetry/nest-logger';
import { zeroKnownSeries } from './telemetry/known-series';
import { GatewayMetrics } from './telemetry/metrics';
import { probeDependencies } from './health/dependency-probe';
import { declareRequestSlots } from './request-slots';
import { firstByteMs } from './telemetry/first-byte';
import { startMetricsListener } from './telemetry/metrics-listener';
import { enterRequestTrace } from './telemetry/request-trace';
import { V2_BODY_LIMITS, V2_MODULES } from './v2/modules';
import { closeAfter, edgeRefusal, installPipelineGuard } from './edge/closing-connections';
import { serverOptions, tuneServer } from './edge/server-options';
import { capConnections } from './edge/connection-cap';
import { OverloadMonitor } from './edge/overload';
import { GatewayError } from './errors/gateway-error';
import { PROBLEM_CONTENT_TYPE, toProblem } from './errors/problem';
import { compilePathCheck, foldRoutes, installPathGuard } from './routing/path-guard';
import { MigrationControl } from './migration/migration-control';
import { isShadowCopy } from './migration/route-sides';
import { installCors } from './security/cors';
import { registerCspReportRoute } from './security/csp-report';
import { compileProxiedHeaders } from './security/proxied-headers';
import { compileSecurityHeaders } from './security/security-headers';
import { installSecurityHeaders } from './security/security-hooks';

export interface Gateway {
  app: NestFastifyApplication;
  fastify: FastifyInstance;
  lifecycle: Lifecycle;
  upstreams: UpstreamRegistry;
  listen(): Promise<string>;
  close(): Promise<void>;
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
  const overload = new OverloadMonitor(
    { maxEventLoopLagMs: config.edge.shedEventLoopLagMs, maxHeapRatio: config.edge.shedHeapRatio },
    (reason) => {
      metrics.overloaded.set(reason ? 1 : 0);
      if (reason)
        fastify.log.warn({ reason, lagMs: Math.round(overload.lagMs) }, 'overloaded: shedding requests with 503');
      else fastify.log.info('load back to normal: no longer shedding');
    },
  );
  overload.start();

  const modules = new Set(Object.keys(V2_MODULES));
  const table = compileRouteTable(config, modules);
  const upstreams = new UpstreamRegistry(config);
  let metricsServer: Server | undefined;
  metrics.watchUpstreams(() => upstreams.all());
  const accessLog = createAccessLog(fastify.log, config);
  const wiring: ProxyWiring = {
    config,
    table,
    upstreams,
    security: compileProxiedHeaders(securityHeaders),
    onDone: (route, method, status, seconds, reply, firstByte) => {
      metrics.observe(route.id, route.targetLabel, method, status, seconds, firstByte);
      accessLog?.write(reply.request, route.id, route.targetLabel, status, seconds);
    },
    onUpstreamError: (upstream, kind) => metrics.upstreamErrors.inc({ upstream, kind }),
    streams: { opened: () => metrics.proxiedStreamsOpen.inc(), closed: () => metrics.proxiedStreamsOpen.dec() },
  };
  const store = app.get<symbol, KeyValueStore>(KV_STORE);
  // Live flags (weights, rollback, fallback, cache_enabled, route_all_to_legacy): src/migration.
  const migration = app.get(MigrationControl);
  wiring.steering = migration.steering(fastify, table);
  if (config.cacheEnabled) {
    let lastWarn = 0;
    const liveFlags = migration.flags;
    const cache = new ResponseCache(store, config.cache, {
      onResult: (route, result) => metrics.cache.inc({ route, result }),
      // At most one line per 30 s during an outage: the cache degrades to pass-through on its own.
      onStoreError: (op, err) => {
        metrics.storeErrors.inc({ user: 'cache' });
        if (Date.now() - lastWarn < 30_000) return;
        lastWarn = Date.now();
        fastify.log.warn({ op, err: (err as Error).message }, 'cache store unavailable; passing through');
      },
    });
    wiring.cache = { takes: (ex) => liveFlags.cacheEnabled && cache.takes(ex), handle: (ex) => cache.handle(ex) };
  }

  declareRequestSlots(fastify);
  // Before anything else: requests pipelined behind a closing answer go no further.
  installPipelineGuard(fastify, config.edge.maxHeaderFields);
  // Then helmet's onRequest hooks, so they run before any hook that may answer (preflight, 429, 401).
  await installSecurityHeaders(fastify, config, securityHeaders);
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    accessLog?.start(request);
    const http1 = request.raw.httpVersionMajor === 1;
    // Keep-alive clients reconnect to an instance that is staying up (HTTP/2 has no Connection field: GOAWAY).
    if (lifecycle.shuttingDown && http1) {
      reply.header('connection', 'close');
      closeAfter(request);
    }
    const refusal = edgeRefusal(request);
    if (refusal === 'too_many_fields') {
      if (http1) reply.header('connection', 'close');
      const problem = toProblem(
        new GatewayError('HEADERS_TOO_LARGE', `At most ${config.edge.maxHeaderFields} header fields are accepted.`),
        request.id,
      );
      reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
      return;
    }
    if (refusal === 'duplicate_host') {
      reply.header('connection', 'close');
      const problem = toProblem(
        new GatewayError('BAD_REQUEST', 'A request must carry exactly one Host field (RFC 9112 3.2).'),
        request.id,
      );
      reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
      return;
    }
    // Probes and scrapes still answer while shedding: an overloaded pod is alive and must stay observable.
    if (overload.reason && !(request.routeOptions.config as RouteConfig).gatewayOwn) {
      metrics.shed.inc({ reason: overload.reason });
      const problem = toProblem(
        new GatewayError('OVERLOADED', 'The gateway is overloaded; retry shortly.'),
        request.id,
      );
      reply
        .status(problem.status)
        .header('retry-after', '1')
        .header('content-type', PROBLEM_CONTENT_TYPE)
        .send(problem);
      return;
    }
    // Last: with tracing on, the hooks and handler after this one run inside the request's server span.
    enterRequestTrace(request, reply, done);
  });
  const pathCheck = compilePathCheck(
    table,
    compileRouteTable({ ...config, routes: foldRoutes(config.routes) }, modules),
  );
  installPathGuard(fastify, pathCheck);
  // Before auth and rate limits: a preflight carries no credentials and is answered by the gateway (Fetch CORS).
  installCors(fastify, config);
  // Legacy may speak WebDAV or other extension methods; the strangler must not narrow what it accepts.
  // CONNECT is Node's 'connect' event, never a request.
  for (const m of METHODS) {
    if (m !== 'CONNECT' && !fastify.supportedMethods.includes(m)) fastify.addHttpMethod(m, { hasBody: true });
  }
  // Fastify enforces RFC 10008's Content-Type rule for QUERY itself; that judgement belongs to the origin server.
  // Marked bodyless, Fastify leaves the body alone and the forwarder streams it like any other.
  fastify.addHttpMethod('QUERY', { hasBody: false, overrideExisting: true });
  const policyFor = compilePolicies(config);
  const authModes = new Map(table.routes.map((r) => [r.id, r.auth]));
  labelRoutes(fastify, table, (cfg: RouteConfig & { rateLimit?: RateLimitPolicy } & AuthRouteConfig) => {
    cfg.rateLimit = cfg.gatewayOwn ? undefined : policyFor(cfg.routeId);
    cfg.auth = cfg.routeId ? authModes.get(cfg.routeId) : undefined;
    cfg.rolledBack = cfg.auth ? migration.rollbackProbe(cfg.routeId!) : undefined;
  });
  // Also for module routes marked `auth:`: identified before the limiter runs, their callers are counted per user.
  const authService = table.routes.some((r) => r.auth) ? app.get<symbol, AuthService>(AUTH_SERVICE) : undefined;
  if (authService) installAuthHook(fastify, authService);
  // No policy anywhere (RATE_LIMIT=off, no route limits): no hook, no per-request cost.
  const anyLimit = config.rateLimit !== 'off' || config.routes.some((r) => r.rate_limit && r.rate_limit !== 'off');
  const limiter = anyLimit ? new RateLimiter(store, config.rateLimitFailOpen, config.rateLimitSyncMs) : undefined;
  if (limiter) {
    installRateLimitHook(fastify, limiter, {
      onLimited: (route) => metrics.rateLimited.inc({ route }),
      onUnavailable: () => metrics.storeErrors.inc({ user: 'rate_limit' }),
    });
  }
  // Requests Nest answers (v2 modules, health, admin); proxied ones are counted by the forwarder, which hijacks.
  // Fastify runs this hook for hijacked replies too (on 'finish'), hence the wasForwarded check.
  // The access log also gets the proxied-route requests that a hook answered before the forwarder ran (429, 401),
  // so it names their real target rather than the metrics' coarse label.
  const targets = new Map([...table.routes, table.catchAll].map((r) => [r.id, r.targetLabel]));
  fastify.addHook('onResponse', (request, reply, done) => {
    if (wasForwarded(reply) || isShadowCopy(request)) return done();
    const routeId = (request.routeOptions.config as RouteConfig).routeId ?? 'unmatched';
    const target = routeId === 'gateway' ? 'gateway' : 'module';
    metrics.observe(
      routeId,
      target,
      request.method,
      reply.statusCode,
      reply.elapsedTime / 1000,
      firstByteMs(reply) / 1000,
    );
    accessLog?.write(request, routeId, targets.get(routeId) ?? target, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  redirectModuleRoutes(fastify, wiring);
  // Modules that take small bodies say so: a 1 MiB chat message would be parsed before validation could refuse it.
  fastify.addHook('onRoute', (opts) => {
    const limit = V2_BODY_LIMITS[opts.url];
    if (limit) opts.bodyLimit = limit;
  });
  await registerCspReportRoute(fastify, fastify.log, {
    onViolation: (directive) => metrics.cspReports.inc({ directive }),
    onLimited: () => metrics.rateLimited.inc({ route: 'csp-report' }),
  });

  await app.init();
  await registerProxyRoutes(fastify, wiring);
  // After the proxied routes: their upstream sets exist now.
  const proxied = [...table.routes.filter((r) => r.target.kind !== 'module'), table.catchAll];
  zeroKnownSeries(metrics, {
    cachedRoutes: config.cacheEnabled ? proxied.filter((r) => r.cache).map((r) => r.id) : [],
    limitedRoutes: [
      ...(limiter ? [...table.routes, table.catchAll].filter((r) => policyFor(r.id)).map((r) => r.id) : []),
      'csp-report',
    ],
    upstreams: upstreams.all().flatMap((set) => set.upstreams.map((u) => u.origin)),
    storeUsers: [...(config.cacheEnabled ? ['cache'] : []), ...(limiter ? ['rate_limit'] : [])],
  });
  metrics.watchDependencies(() => probeDependencies(store, config.legacyUrls));
  attachWebSocketProxy(
    app.getHttpServer(),
    wiring,
    fastify.log,
    pathCheck,
    upgradeAdmission({
      auth: authService,
      limiter,
      policyFor,
      onLimited: (route) => metrics.rateLimited.inc({ route }),
    }),
    (req, o) => {
      metrics.observe(o.routeId, o.target, req.method, o.status, o.seconds, o.firstByteSeconds);
      accessLog?.writeUpgrade(req, o);
    },
  );

  fastify.log.info(
    { flags: effectiveFlags(config), routes: table.routes.map((r) => `${r.id} -> ${r.targetLabel}`) },
    'effective configuration',
  );

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
