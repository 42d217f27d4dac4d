import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AdminToken } from '../admin/admin-token.guard';
import { GatewayError } from '../errors/gateway-error';
import { toProblem } from '../errors/problem';
import { sendProblem } from '../errors/problem-writer';
import type { AdminSessions } from './admin-sessions';
import type { AssetName, ConsoleAssets } from './console-assets';
import { CONSOLE_HTML, SIGNIN_HTML } from './console-html';
import { sessionIdOf } from './session-cookie';

const TYPES: Record<AssetName, string> = {
  'signin.js': 'text/javascript; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
};

/**
 * What /admin/ and its assets answer. `no-cache`: a browser revalidates every time, so a new build shows at once
 * (the files are small and the gateway serves them from memory).
 */
export class ConsolePages {
  constructor(
    private readonly token: AdminToken,
    private readonly sessions: AdminSessions,
    private readonly assets: ConsoleAssets,
  ) {}

  /** The console shell when the request carries a live session, the sign-in page otherwise. */
  async page(request: FastifyRequest, reply: FastifyReply): Promise<string> {
    this.token.assertOn();
    this.assertBuilt();
    const signedIn = Boolean(await this.sessions.find(sessionIdOf(request)));
    reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-cache');
    return signedIn ? CONSOLE_HTML : SIGNIN_HTML;
  }

  asset(name: AssetName, reply: FastifyReply): Buffer {
    this.token.assertOn();
    this.assertBuilt();
    reply
      .header('content-type', TYPES[name])
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff');
    return this.assets.get(name)!;
  }

  /** For the Fastify route of `/admin/` (Nest strips trailing slashes, so it cannot declare it): same answers. */
  async answerRaw(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    try {
      reply.send(await this.page(request, reply));
    } catch (err) {
      sendProblem(reply, toProblem(err, request.id, request.url.split('?')[0]));
    }
  }

  private assertBuilt(): void {
    if (this.assets.missing.length)
      throw new GatewayError(
        'SERVICE_UNAVAILABLE',
        `console assets not built: npm run build (missing ${this.assets.missing.join(', ')})`,
      );
  }
}
