import type { FastifyInstance } from 'fastify';
import { V2_BODY_LIMITS } from '../v2/modules';

/** Modules that take small bodies say so: a 1 MiB chat message would be parsed before validation could refuse it. */
export function applyModuleBodyLimits(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (opts) => {
    const limit = V2_BODY_LIMITS[opts.url];
    if (limit) opts.bodyLimit = limit;
  });
}
