import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Caller } from '../auth/authenticate-caller';
import type { Identity } from '../auth/auth.service';
import type { FieldTarget } from '../rate-limit/rate-limit-decision';
import type { CompiledRoute } from '../routing';
import type { RouteRule } from './route-rules';

/**
 * One WebSocket upgrade on its way through the upgrade stages (stages.ts) and the relay (src/proxy/websocket.ts):
 * what a Fastify request carries for the HTTP stages (the caller's identity, the rollback mark) plus what became
 * of it, reported when its client connection closes. Reached from the relay's callbacks as `req.figwayUpgrade`.
 */
export class UpgradeExchange implements Caller, FieldTarget {
  figwayUser: Identity | undefined = undefined;
  figwayRolledBack = false;
  /** The route the path matched, its rules, and where the route decision sends it. */
  route?: CompiledRoute;
  rule?: RouteRule;
  target?: CompiledRoute;
  /** Labels for metrics and the access log: the gateway's own paths are the gateway's, as for HTTP. */
  routeId = 'unmatched';
  targetLabel = 'gateway';
  /** 101 once upgraded, the refusal's status, or the upstream's non-101 answer; 499 if none came. */
  status = 499;
  headAt?: bigint;
  readonly started = process.hrtime.bigint();
  /** Head lines a refusal adds to the gateway's static set (Sec-WebSocket-Version, RateLimit-*, Retry-After). */
  lines = '';

  constructor(
    readonly req: IncomingMessage,
    readonly socket: Socket,
    readonly head: Buffer,
    readonly id: string,
  ) {}

  header(name: string, value: string | number): void {
    this.lines += `${name}: ${value}\r\n`;
  }

  /** The upgrade got an answer: a refusal, the upstream's 101, or the upstream's own refusal. */
  answered(status: number): void {
    this.status = status;
    this.headAt ??= process.hrtime.bigint();
  }
}

/** What an upgrade stage says: a refusal (anything toProblem maps), or undefined to go on. */
export type UpgradeStep = (ex: UpgradeExchange) => unknown;
