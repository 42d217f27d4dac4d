import { inspect } from 'node:util';
import type { LoggerService } from '@nestjs/common';
import type { Logger } from 'pino';

type PinoLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * Nest's own start-up lines: each module initialised (InstanceLoader), each controller and route mapped
 * (RoutesResolver, RouterExplorer), the factory and application starting. About forty per start at Nest's 'log'
 * level, none of which an operator acts on (the gateway's 'effective configuration' line says what is served):
 * written at debug, where LOG_LEVEL=debug still shows them.
 */
const START_UP_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
]);

const STACK = /\n\s+at /;

function isStructured(m: unknown): m is { msg: string } & Record<string, unknown> {
  return typeof m === 'object' && m !== null && !Array.isArray(m) && typeof (m as { msg?: unknown }).msg === 'string';
}

/**
 * Nest's LoggerService over the process's pino logger (src/telemetry/logger.ts), so that what Nest and the modules'
 * `new Logger('Chat')` write has the same fields as Fastify's lines; Nest's context becomes the `context` field.
 *
 * Nest calls `method(message, ...params)`, where a Logger made with a context appends it as the last parameter,
 * and `error` takes `(message, stack?, context?)`.
 */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly pino: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    // A stack passed beside a message (Nest's ExceptionHandler does so) is kept under pino's `err`, as an Error's is.
    const stack = params.find((p): p is string => typeof p === 'string' && STACK.test(p));
    const rest = params.filter((p) => p !== stack && p !== undefined);
    if (stack && !(message instanceof Error)) {
      const err = Object.assign(new Error(String(message)), { stack });
      return this.write('error', err, rest);
    }
    this.write('error', message, rest);
  }

  private write(level: PinoLevel, message: unknown, params: unknown[]): void {
    const last = params.at(-1);
    const context = typeof last === 'string' ? last : undefined;
    const extra = context === undefined ? params : params.slice(0, -1);
    if (level === 'info' && context !== undefined && START_UP_CONTEXTS.has(context)) level = 'debug';
    if (!this.pino.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = { context };
    if (extra.length) fields.params = extra;
    if (message instanceof Error) {
      fields.err = message;
      this.pino[level](fields, message.message);
    } else if (isStructured(message)) {
      // `log.log({ msg, ...fields })`: a line whose fields a machine reads (a rollout decision and its evidence).
      const { msg, ...rest } = message;
      this.pino[level]({ ...fields, ...rest }, msg);
    } else {
      this.pino[level](fields, typeof message === 'string' ? message : inspect(message, { breakLength: Infinity }));
    }
  }
}
