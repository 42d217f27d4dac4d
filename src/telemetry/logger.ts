/* eslint-disable @typescript-eslint/no-require-imports -- pino-pretty is a development dependency, loaded on demand */
import { pino, type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import type { GatewayConfig } from '../config';

/** Loads pino-pretty, or undefined when this install has no development dependencies (`npm ci --omit=dev`). */
function loadPretty(): typeof PinoPretty | undefined {
  try {
    return require('pino-pretty') as typeof PinoPretty;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

/**
 * The one logger of the process: Fastify is handed this instance (its request and server lines are a child of it)
 * and Nest writes through NestPinoLogger over it, so every line has pino's fields (level, time, pid, hostname,
 * msg) whoever wrote it.
 *
 * LOG_FORMAT=pretty is for a person at a terminal. pino-pretty runs in this thread, synchronously, rather than as a
 * pino transport (a worker thread): lines keep their order with what the process writes to stderr, and the last
 * ones before process.exit are not lost. Without pino-pretty installed (a production install, which is what the
 * image is) the gateway still starts, logging JSON, and says so once: a log format is not worth a crash loop.
 */
export function createLogger(
  config: Pick<GatewayConfig, 'logLevel' | 'logFormat'>,
  destination?: DestinationStream,
  pretty = loadPretty,
): Logger {
  const options = { level: config.logLevel };
  if (config.logFormat !== 'pretty') return pino(options, destination);
  const prettyStream = pretty();
  if (prettyStream) {
    const stream = prettyStream({
      sync: true,
      // A clock time a person reads; pid and hostname are the same on every line of one terminal.
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      ...(destination ? { destination, colorize: false } : {}),
    });
    return pino(options, stream);
  }
  const log = pino(options, destination);
  log.warn(
    'LOG_FORMAT=pretty needs pino-pretty, a development dependency this install does not have ' +
      '(npm ci --omit=dev); logging JSON',
  );
  return log;
}
