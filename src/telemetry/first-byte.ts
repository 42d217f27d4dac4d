import type { FastifyReply } from 'fastify';

const marks = new WeakMap<FastifyReply, number>();

/**
 * For a reply a v2 module streams itself (the chat's SSE): its head went out now. Without a mark the time to first
 * byte of a Nest-answered request is its whole duration, which is right for answers written in one go.
 */
export function markFirstByte(reply: FastifyReply): void {
  marks.set(reply, reply.elapsedTime);
}

/** Milliseconds from the request to its response head (see markFirstByte). */
export function firstByteMs(reply: FastifyReply): number {
  return marks.get(reply) ?? reply.elapsedTime;
}
