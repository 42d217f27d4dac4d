export { ConfigError } from './config-error';
export {
  effectiveFlags,
  loadConfig,
  loadRoutes,
  parseRateLimit,
  type GatewayConfig,
  type LlmConfig,
  type RateLimitSpec,
} from './load-config';
export type { RouteSpec, RolloutSpec } from './routes.schema';
export { hasLegacySide } from './routes.schema';
export { GATEWAY_CONFIG } from './config.token';
export { redisTargetName, type RedisTarget } from './redis-target';
export type { OtlpMetricsConfig } from './otlp-metrics';
export type { DataKey } from './data-keys';
