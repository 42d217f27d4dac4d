import { METHODS } from 'node:http';
import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController, type FastifyInstance } from 'fastify';
import { AppModule } from './app.module';
import { effectiveFlags, type GatewayConfig } from './config';
import { handleClientError } from './errors/client-error';
import { Lifecycle } from './lifecycle/lifecycle';
import { wasForwarded } from './proxy/forwarder';
import { registerProxyRoutes, redirectModuleRoutes, type ProxyWiring } from './proxy/proxy-routes';
import { requestIdFor } from './proxy/request-id';
import { UpstreamRegistry } from './proxy/upstream-registry';
import { attachWebSocketProxy } from './proxy/websocket';
import { RateLimiter } from './rate-limit/rate-limiter';
import { installRateLimitHook } from './rate-limit/rate-limit-hook';
import { compilePolicies, type RateLimitPolicy } from './rate-limit/rate-limit-policy';
import { compileRouteTable, labelRoutes, type RouteConfig } from './routing';
import { KV_STORE, type KeyValueStore } from './store/key-value-store';
import { ResponseCache } from './cache/response-cache';
import { installAuthHook } from './auth/auth-hook';
import type { AuthService } from './auth/auth.service';
import { AUTH_SERVICE } from './auth/auth.tokens';
import { createAccessLog } from './telemetry/access-log';
import { GatewayMetrics } from './telemetry/metrics';
import { enterRequestTrace } from './telemetry/request-trace';
import { V2_MODULES } from './v2/modules';
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

const NEST_LEVELS: Record<GatewayConfig['logLevel'], LogLevel[]> = {
  trace: ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'],
  debug: ['debug', 'log', 'warn', 'error', 'fatal'],
  info: ['log', 'warn', 'error', 'fatal'],
  warn: ['warn', 'error', 'fatal'],
  error: ['error', 'fatal'],
  fatal: ['fatal'],
  silent: [],
};

export async function createGateway(
  config: GatewayConfig,
  lifecycle = new Lifecycle(),
  metrics = new GatewayMetrics(),
): Promise<Gateway> {
  metrics.recordFlags(config);
  const adapter = new FastifyAdapter({
    logger: { level: config.logLevel },
    // Per-request logs come from the gateway's own access log, not Fastify's two lines per request.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdFor,
    requestIdHeader: false,
    trustProxy: config.trustProxy.length ? config.trustProxy : false,
    // Long opaque path segments (tokens, encoded ids) are legal; the default 100 would 404 them.
    routerOptions: { maxParamLength: 8_192 },
    clientErrorHandler: handleClientError,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, lifecycle, metrics), adapter, {
    logger: new ConsoleLogger({ json: true, logLevels: NEST_LEVELS[config.logLevel] }),
  });
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;

  const table = compileRouteTable(config, new Set(Object.keys(V2_MODULES)));
  const upstreams = new UpstreamRegistry(config);
  const accessLog = createAccessLog(fastify.log, config);
  // Decided once here; Fastify replies get them through helmet, proxied ones through the forwarder.
  const securityHeaders = compileSecurityHeaders(config);
  const wiring: ProxyWiring = {
    config,
    table,
    upstreams,
    security: compileProxiedHeaders(securityHeaders),
    onDone: (route, method, status, seconds, reply) => {
      metrics.observe(route.id, route.targetLabel, method, status, seconds);
      accessLog?.write(reply.request, route.id, route.targetLabel, status, seconds);
    },
    onUpstreamError: (upstream, kind) => metrics.upstreamErrors.inc({ upstream, kind }),
  };
  const store = app.get<symbol, KeyValueStore>(KV_STORE);
  if (config.cacheEnabled) {
    let lastWarn = 0;
    wiring.cache = new ResponseCache(store, config.cache, {
      onResult: (route, result) => metrics.cache.inc({ route, result }),
      // At most one line per 30 s during an outage: the cache degrades to pass-through on its own.
      onStoreError: (op, err) => {
        metrics.storeErrors.inc({ user: 'cache' });
        if (Date.now() - lastWarn < 30_000) return;
        lastWarn = Date.now();
        fastify.log.warn({ op, err: (err as Error).message }, 'cache store unavailable; passing through');
      },
    });
  }

  // First: helmet's onRequest hooks then run before any hook that may answer (preflight, 429, 401).
  await installSecurityHeaders(fastify, config, securityHeaders);
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    accessLog?.start(request);
    // Keep-alive clients reconnect to an instance that is staying up.
    if (lifecycle.shuttingDown) reply.header('connection', 'close');
    // Last: with tracing on, the hooks and handler after this one run inside the request's server span.
    enterRequestTrace(request, reply, done);
  });
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
  labelRoutes(fastify, table, (cfg: RouteConfig & { rateLimit?: RateLimitPolicy; auth?: 'required' | 'optional' }) => {
    cfg.rateLimit = cfg.gatewayOwn ? undefined : policyFor(cfg.routeId);
    cfg.auth = cfg.routeId ? authModes.get(cfg.routeId) : undefined;
  });
  // Also for module routes marked `auth:`: identified before the limiter runs, their callers are counted per user.
  if (table.routes.some((r) => r.auth)) installAuthHook(fastify, app.get<symbol, AuthService>(AUTH_SERVICE));
  // No policy anywhere (RATE_LIMIT=off, no route limits): no hook, no per-request cost.
  const anyLimit = config.rateLimit !== 'off' || config.routes.some((r) => r.rate_limit && r.rate_limit !== 'off');
  if (anyLimit) {
    installRateLimitHook(fastify, new RateLimiter(store, config.rateLimitFailOpen), {
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
    if (wasForwarded(reply)) return done();
    const routeId = (request.routeOptions.config as RouteConfig).routeId ?? 'unmatched';
    const target = routeId === 'gateway' ? 'gateway' : 'module';
    metrics.observe(routeId, target, request.method, reply.statusCode, reply.elapsedTime / 1000);
    accessLog?.write(request, routeId, targets.get(routeId) ?? target, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  redirectModuleRoutes(fastify, wiring);
  await registerCspReportRoute(fastify, fastify.log, {
    onViolation: (directive) => metrics.cspReports.inc({ directive }),
    onLimited: () => metrics.rateLimited.inc({ route: 'csp-report' }),
  });

  await app.init();
  await registerProxyRoutes(fastify, wiring);
  attachWebSocketProxy(app.getHttpServer(), wiring, fastify.log);

  fastify.log.info({ flags: effectiveFlags(config), routes: table.routes.map((r) => `${r.id} -> ${r.targetLabel}`) }, 'effective configuration');

  return {
    app,
    fastify,
    lifecycle,
    upstreams,
    async listen() {
      await app.listen({ port: config.port, host: config.host });
      return app.getUrl();
    },
    async close() {
      await app.close();
      await upstreams.close();
    },
  };
}
