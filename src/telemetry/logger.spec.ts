import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Logger } from '@nestjs/common';
import { createLogger } from './logger';
import { NestPinoLogger } from './nest-logger';

function capture(): { stream: { write(line: string): void }; lines(): Record<string, unknown>[] } {
  const out: string[] = [];
  return {
    stream: { write: (line: string) => void out.push(line) },
    lines: () =>
      out
        .join('')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

test('LOG_FORMAT=pretty without pino-pretty installed logs JSON and says so in one warning', () => {
  const sink = capture();
  const log = createLogger({ logLevel: 'info', logFormat: 'pretty' }, sink.stream, () => undefined);
  log.info('after');
  const lines = sink.lines();
  assert.equal(lines.length, 2);
  assert.equal(lines[0].level, 40);
  assert.match(String(lines[0].msg), /LOG_FORMAT=pretty needs pino-pretty/);
  assert.equal(lines[1].msg, 'after');
});

test("Nest's lines carry pino's fields, the context as a field, and errors under err", () => {
  const sink = capture();
  const nest = new NestPinoLogger(createLogger({ logLevel: 'info', logFormat: 'json' }, sink.stream));
  nest.warn('store down', 'Store');
  nest.error(new Error('boom'), undefined, 'Chat');
  nest.error('failed', 'Error: failed\n    at x (y.js:1:1)', 'ExceptionHandler');
  const [warn, err, withStack] = sink.lines();
  assert.deepEqual(
    { level: warn.level, msg: warn.msg, context: warn.context },
    { level: 40, msg: 'store down', context: 'Store' },
  );
  assert.ok(typeof warn.time === 'number' && typeof warn.pid === 'number');
  assert.equal(err.level, 50);
  assert.equal(err.msg, 'boom');
  assert.equal(err.context, 'Chat');
  assert.match(String((err.err as { stack: string }).stack), /Error: boom/);
  assert.equal(withStack.context, 'ExceptionHandler');
  assert.match(String((withStack.err as { stack: string }).stack), /at x \(y\.js/);
});

test("Nest's route-mapping and module lines are debug, other 'log' lines info", () => {
  const sink = capture();
  const nest = new NestPinoLogger(createLogger({ logLevel: 'debug', logFormat: 'json' }, sink.stream));
  nest.log('Mapped {/x, GET} route', 'RouterExplorer');
  nest.log('AppModule dependencies initialized', 'InstanceLoader');
  nest.log('routes file reloaded', 'Migration');
  assert.deepEqual(
    sink.lines().map((l) => l.level),
    [20, 20, 30],
  );
});

test('a Logger with a context writes through the adapter once Nest is handed it', () => {
  const sink = capture();
  Logger.overrideLogger(new NestPinoLogger(createLogger({ logLevel: 'info', logFormat: 'json' }, sink.stream)));
  new Logger('Auth').warn('no key');
  assert.deepEqual(
    sink.lines().map((l) => [l.msg, l.context]),
    [['no key', 'Auth']],
  );
});
