import type { FastifyBaseLogger } from 'fastify';
import { canConnect } from './legacy-reachability';

/**
 * One warning at start-up when no LEGACY_URL instance accepts a connection: `npm start` on a laptop with no legacy
 * app running otherwise looks healthy until the first /api/v1 request answers 502 (UPSTREAM_CONNECT_FAILED). Not
 * an error: the gateway starts anyway (legacy may come up after it, as in a rolling deploy), and readiness and
 * gateway_dependency_up keep reporting it from then on. The same TCP connect readiness uses, 1 s per instance.
 */
export async function warnIfLegacyUnreachable(
  log: FastifyBaseLogger,
  legacyUrls: string[],
  timeoutMs = 1_000,
): Promise<void> {
  const up = await Promise.all(legacyUrls.map((u) => canConnect(u, timeoutMs)));
  if (up.some(Boolean)) return log.debug({ LEGACY_URL: legacyUrls }, 'legacy reachable at start-up');
  log.warn(
    { LEGACY_URL: legacyUrls },
    `legacy unreachable: no LEGACY_URL instance accepts a connection (${legacyUrls.join(', ')}); ` +
      'requests routed to legacy answer 502 until it is up',
  );
}
