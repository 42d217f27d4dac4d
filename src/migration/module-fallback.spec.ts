import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ArgumentsHost } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProblemFilter } from '../errors/problem.filter';
import type { ForwarderBuilder } from '../proxy/proxy-routes';
import { parseTarget, type CompiledRoute } from '../routing';
import { CircuitBreaker } from './breaker';
import type { RouteLive } from './live-state';
import { moduleSides } from './route-sides';

// A module that throws a 5xx before writing anything: the GET is replayed to legacy from the exception filter.
function setup() {
  const calls: { label: string; path: string }[] = [];
  const build = {
    forwarder: (route: CompiledRoute) => (request: FastifyRequest) =>
      calls.push({ label: route.targetLabel, path: route.rewrite(request.url) }),
    legacy: {} as ForwarderBuilder['legacy'],
    pool: () => ({}) as ReturnType<ForwarderBuilder['pool']>,
  } as ForwarderBuilder;
  const route = {
    id: 'v2-report',
    patterns: ['/api/v2/report'],
    methods: 'ALL',
    declared: parseTarget('module:meta'),
    target: parseTarget('module:meta'),
    targetLabel: 'module:meta',
    rewrite: (p: string) => p,
    preserveHost: true,
    timeoutMs: 1_000,
  } as CompiledRoute;
  const live: RouteLive = {
    id: route.id,
    newPercent: 100,
    rollback: false,
    fallback: new Set([500, 503]),
    breaker: new CircuitBreaker({ failures: 2, cooldownMs: 60_000 }),
    served: { legacy: 0, new: 0, fallback: 0 },
  };
  const sides = moduleSides(
    route,
    { id: route.id, path: '/api/v2/report', target: 'module:meta', legacy_path: '/api/v1/report' },
    live,
    { routeAllToLegacy: false, cacheEnabled: true },
    build,
  );
  return { calls, live, sides };
}

function run(sides: ReturnType<typeof setup>['sides'], method: string, headers: Record<string, string> = {}) {
  const request = {
    id: 'r1',
    method,
    url: '/api/v2/report',
    headers,
    raw: { httpVersionMajor: 1 },
  } as unknown as FastifyRequest;
  const sent: number[] = [];
  // What helmet wrote on the raw response before the module ran: cleared before a forwarder writes its own head.
  const rawFields = new Map([['x-content-type-options', 'nosniff']]);
  const reply = {
    raw: {
      headersSent: false,
      getHeaderNames: () => [...rawFields.keys()],
      removeHeader: (name: string) => rawFields.delete(name),
    },
    status(s: number) {
      sent.push(s);
      return this;
    },
    header() {
      return this;
    },
    send() {
      return this;
    },
  } as unknown as FastifyReply;
  let passed = false;
  (sides.onRequest as (q: FastifyRequest, r: FastifyReply, d: () => void) => void)(
    request,
    reply,
    () => (passed = true),
  );
  assert.equal(passed, true, 'the new side (the module) is chosen');
  const host = {
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
  } as unknown as ArgumentsHost;
  new ProblemFilter().catch(new Error('module exploded'), host);
  return sent;
}

test('a GET the module fails with a 5xx is replayed to legacy at legacy_path, counted as fallback', () => {
  const { calls, live, sides } = setup();
  const sent = run(sides, 'GET');
  assert.deepEqual(sent, [], 'the problem was not sent');
  assert.deepEqual(calls, [{ label: 'fallback', path: '/api/v1/report' }]);
  assert.deepEqual(live.served, { legacy: 0, new: 0, fallback: 1 });
});

test('a POST with a body gets the problem; both failures feed the breaker', () => {
  const { calls, live, sides } = setup();
  run(sides, 'GET');
  const sent = run(sides, 'POST', { 'content-length': '2' });
  assert.deepEqual(sent, [500]);
  assert.equal(calls.length, 1, 'only the GET was replayed');
  // The POST's 500 reaches the breaker in the route's onResponse hook.
  (sides.onResponse as (q: unknown, r: unknown, d: () => void) => void)(
    { figwaySide: 1 },
    { statusCode: 500 },
    () => {},
  );
  assert.equal(live.breaker!.state, 'open');
});
