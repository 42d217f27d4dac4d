import { AUTH_OUTCOMES } from '../auth/auth.service';
import { CACHE_RESULTS } from '../cache/response-cache';
import { OVERLOAD_REASONS } from '../edge/overload';
import { UPSTREAM_FAILURES } from '../proxy/upstream-errors';
import { DIRECTIVE_LABELS } from '../security/csp-report';
import type { GatewayMetrics } from './metrics';

/**
 * Prometheus instrumentation guide, "Avoid missing metrics": a series that appears only with its first event
 * leaves a dashboard panel at "No data", and rate()/increase() cannot see that first event (there is no earlier
 * sample to compare it with), so an alert on the first upstream failure stays silent. Every label set known at
 * boot therefore starts at 0: the closed sets (kinds, reasons, results) and the routes and upstreams of the route
 * table. Not here: gateway_requests_total and the request histograms, whose method and status are open sets;
 * they appear with the first request (a probe, a scrape).
 */
export interface KnownAtBoot {
  /** Proxied routes the response cache may answer. */
  cachedRoutes: string[];
  /** Routes with a rate limit (route ids as gateway_rate_limited_total labels them). */
  limitedRoutes: string[];
  /** Upstream instance origins (legacy and routes' own upstreams). */
  upstreams: string[];
  /** The features that use the store and count its failures (gateway_store_errors_total{user}). */
  storeUsers: string[];
}

export function zeroKnownSeries(m: GatewayMetrics, known: KnownAtBoot): void {
  for (const upstream of known.upstreams)
    for (const kind of UPSTREAM_FAILURES) m.upstreamErrors.inc({ upstream, kind }, 0);
  for (const route of known.cachedRoutes) for (const result of CACHE_RESULTS) m.cache.inc({ route, result }, 0);
  for (const route of known.limitedRoutes) m.rateLimited.inc({ route }, 0);
  for (const user of known.storeUsers) m.storeErrors.inc({ user }, 0);
  // max_connections: the connection cap (edge/connection-cap.ts); the others are the overload monitor's.
  for (const reason of [...OVERLOAD_REASONS, 'max_connections']) m.shed.inc({ reason }, 0);
  for (const directive of DIRECTIVE_LABELS) m.cspReports.inc({ directive }, 0);
  for (const labels of AUTH_OUTCOMES) m.auth.inc(labels, 0);
}

/** The v2 chat's series: its provider and the two configured models are known once the provider is built. */
export function zeroChatSeries(
  m: GatewayMetrics,
  chat: { provider: string; models: string[]; errorKinds: readonly string[]; storeUsers: string[] },
): void {
  const { provider } = chat;
  for (const model of new Set(chat.models)) m.chatTokens.inc({ provider, model }, 0);
  m.chatFirstToken.zero({ provider });
  for (const kind of chat.errorKinds) m.chatProviderErrors.inc({ provider, kind }, 0);
  m.chatKeyFallbacks.inc({ provider }, 0);
  for (const result of ['hit', 'miss', 'bypass']) m.chatCache.inc({ result }, 0);
  for (const user of chat.storeUsers) m.storeErrors.inc({ user }, 0);
}
