import type { Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { AuthService } from '../auth/auth.service';
import type { GatewayConfig } from '../config';
import type { Lifecycle } from '../lifecycle/lifecycle';
import type { OverloadMonitor } from '../edge/overload';
import type { MigrationControl } from '../migration/migration-control';
import type { ProxyWiring } from '../proxy/proxy-routes';
import type { RateLimiter } from '../rate-limit/rate-limiter';
import type { RouteTable } from '../routing';
import type { PathCheck } from '../routing/path-guard';
import type { SecurityHeaders } from '../security/security-headers';
import type { AccessLog } from '../telemetry/access-log';
import type { GatewayMetrics } from '../telemetry/metrics';
import type { RouteRules } from './route-rules';

/** What the gateway builds at boot for the stages; each stage takes only the parts it names (`Pick`). */
export interface PipelineParts {
  config: GatewayConfig;
  table: RouteTable;
  lifecycle: Lifecycle;
  metrics: GatewayMetrics;
  accessLog?: AccessLog;
  overload: OverloadMonitor;
  securityHeaders: SecurityHeaders;
  pathCheck: PathCheck;
  rules: RouteRules;
  migration: MigrationControl;
  wiring: ProxyWiring;
  /** Present when some route has `auth:`. */
  auth?: AuthService;
  /** Present when some route has a rate limit. */
  limiter?: RateLimiter;
  /** The listener's server: upgrades are its 'upgrade' events, never Fastify requests. */
  server: Server;
  /** Nest's init: the v2 modules register their routes (and the onRoute stages before it label them). */
  startModules(): Promise<void>;
}

/**
 * One named stage of the HTTP pipeline: compiles what it needs from its parts at boot and adds its Fastify hook
 * (or route, or onRoute decoration). A stage that is off (no CORS origins, no limits) adds nothing.
 */
export interface Stage {
  readonly name: string;
  install(fastify: FastifyInstance, parts: PipelineParts): void | Promise<void>;
}
