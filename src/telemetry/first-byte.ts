import type { FastifyReply } from 'fastify';

/**
 * For a reply a v2 module streams itself (the chat's SSE): its head went out now (`figwayFirstByteMs`,
 * src/request-slots.ts). Without a mark the time to first byte of a Nest-answered request is its whole duration,
 * which is right for answers written in one go.
 */
export function markFirstByte(reply: FastifyReply): void {
  reply.figwayFirstByteMs = reply.elapsedTime;
}

/** Milliseconds from the request to its response head (see markFirstByte). */
export function firstByteMs(reply: FastifyReply): number {
  return reply.figwayFirstByteMs >= 0 ? reply.figwayFirstByteMs : reply.elapsedTime;
}
