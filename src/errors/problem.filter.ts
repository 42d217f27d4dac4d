import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from './gateway-error';
import { toProblem } from './problem';
import { sendProblem } from './problem-writer';

function detailOf(ex: HttpException): string {
  const body = ex.getResponse();
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown }).message;
  return Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : ex.message;
}

/** Nest-side errors (guards, pipes, controllers) leave as problem+json, like the proxy's own. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly log = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const request = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    let err: unknown = exception;
    if (exception instanceof HttpException) {
      err = { statusCode: exception.getStatus(), message: detailOf(exception) };
    }
    const problem = toProblem(err, request.id, request.url.split('?')[0]);
    // A migrating v2 route may replay to legacy (src/migration, route-sides.ts) if nothing was sent yet.
    const fallback = request.figwayFallback;
    if (fallback && problem.status >= 500 && !reply.raw.headersSent) {
      this.log.warn(`${request.id}: module failed with ${problem.status}; replayed to legacy`);
      return fallback(request, reply);
    }
    // Fastify's own errors (bad JSON, body too large) carry a 4xx status: the client's fault, not ours.
    if (problem.status >= 500 && !(exception instanceof GatewayError)) this.log.error(exception);
    sendProblem(reply, problem);
  }
}
