import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GatewayConfig, RouteSpec } from '../config';
import { compileRouteTable } from './route-table';

function config(routes: RouteSpec[], routeAllToLegacy = false): GatewayConfig {
  return {
    routes,
    routeAllToLegacy,
    upstream: { timeoutMs: 30_000, connectTimeoutMs: 2_000, idleTimeoutMs: 300_000, connections: 8 },
  } as GatewayConfig;
}

const routes: RouteSpec[] = [
  { id: 'chat', path: '/api/v2/chat', methods: ['POST'], target: 'module:chat', legacy_path: '/api/chat' },
  { id: 'reports', path: '/api/v1/reports/*', target: 'http://127.0.0.1:9000' },
  { id: 'report-one', path: '/api/v1/reports/:id', target: 'legacy' },
  { id: 'v1', path: '/api/v1/*', target: 'legacy' },
];

test('the most specific route wins: exact, then params, then the longest prefix', () => {
  const t = compileRouteTable(config(routes), new Set(['chat']));
  assert.equal(t.match('/api/v2/chat', 'POST').id, 'chat');
  assert.equal(t.match('/api/v1/reports/7', 'GET').id, 'report-one');
  assert.equal(t.match('/api/v1/reports/7/pdf', 'GET').id, 'reports');
  assert.equal(t.match('/api/v1/reports', 'GET').id, 'reports');
  assert.equal(t.match('/api/v1/users', 'GET').id, 'v1');
});

test('a path or method no route claims goes to the legacy catch-all', () => {
  const t = compileRouteTable(config(routes), new Set(['chat']));
  assert.equal(t.match('/anything', 'GET').id, 'legacy-catch-all');
  assert.equal(t.match('/api/v2/chat', 'GET').id, 'legacy-catch-all');
  assert.equal(t.match('/anything', 'GET').target.kind, 'legacy');
});

test('ROUTE_ALL_TO_LEGACY sends modules and other upstreams to legacy, with their legacy paths', () => {
  const t = compileRouteTable(config(routes, true), new Set(['chat']));
  const chat = t.match('/api/v2/chat', 'POST');
  assert.equal(chat.target.kind, 'legacy');
  assert.equal(chat.declared.kind, 'module');
  assert.equal(chat.rewrite('/api/v2/chat'), '/api/chat');
  assert.equal(t.match('/api/v1/reports/x/y', 'GET').target.kind, 'legacy');
});

test('a module target that no module provides stops the boot', () => {
  assert.throws(() => compileRouteTable(config(routes), new Set()), /unknown module\(s\): chat/);
});
