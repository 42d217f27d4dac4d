import { METHODS } from 'node:http';
import type { FastifyInstance } from 'fastify';

/**
 * Legacy may speak WebDAV or other extension methods; the strangler must not narrow what it accepts.
 * CONNECT is Node's 'connect' event, never a request.
 */
export function addExtensionMethods(fastify: FastifyInstance): void {
  for (const m of METHODS) {
    if (m !== 'CONNECT' && !fastify.supportedMethods.includes(m)) fastify.addHttpMethod(m, { hasBody: true });
  }
  // Fastify enforces RFC 10008's Content-Type rule for QUERY itself; that judgement belongs to the origin server.
  // Marked bodyless, Fastify leaves the body alone and the forwarder streams it like any other.
  fastify.addHttpMethod('QUERY', { hasBody: false, overrideExisting: true });
}
