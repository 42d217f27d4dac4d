import type { FastifyInstance } from 'fastify';
import { isShadowCopy } from '../migration/route-sides';
import { wasForwarded } from '../proxy/forwarder';
import { firstByteMs } from '../telemetry/first-byte';
import type { PipelineParts } from './parts';

/**
 * Requests Nest answers (v2 modules, health, admin); proxied ones are counted by the forwarder, which hijacks.
 * Fastify runs this hook for hijacked replies too (on 'finish'), hence the wasForwarded check.
 * The access log also gets the proxied-route requests that a hook answered before the forwarder ran (429, 401),
 * so it names their real target rather than the metrics' coarse label.
 */
export function installResponseMetrics(
  fastify: FastifyInstance,
  p: Pick<PipelineParts, 'table' | 'metrics' | 'accessLog'>,
): void {
  const { metrics, accessLog } = p;
  const targets = new Map([...p.table.routes, p.table.catchAll].map((r) => [r.id, r.targetLabel]));
  fastify.addHook('onResponse', (request, reply, done) => {
    if (wasForwarded(reply) || isShadowCopy(request)) return done();
    const routeId = request.routeOptions.config.routeId ?? 'unmatched';
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
}
