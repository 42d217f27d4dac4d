import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GatewayConfig } from '../config';
import { compilePolicies } from './rate-limit-policy';

const base = { rateLimit: { points: 600, durationMs: 60_000 } } as GatewayConfig;

test('routes without their own limit share the default policy', () => {
  const p = compilePolicies({ ...base, routes: [{ id: 'a', path: '/a', target: 'legacy' }] });
  assert.deepEqual(p('a'), { id: 'default', points: 600, durationMs: 60_000 });
  assert.deepEqual(p(undefined), p('a'));
});

test('a route limit counts apart; off turns it off for that route only', () => {
  const p = compilePolicies({
    ...base,
    routes: [
      { id: 'chat', path: '/c', target: 'legacy', rate_limit: '20/1m' },
      { id: 'files', path: '/f/*', target: 'legacy', rate_limit: 'off' },
    ],
  });
  assert.deepEqual(p('chat'), { id: 'route:chat', points: 20, durationMs: 60_000 });
  assert.equal(p('files'), undefined);
  assert.equal(p('other')?.id, 'default');
});

test('RATE_LIMIT=off leaves only the routes that set their own', () => {
  const p = compilePolicies({
    ...base,
    rateLimit: 'off',
    routes: [{ id: 'chat', path: '/c', target: 'legacy', rate_limit: '5/1s' }],
  });
  assert.equal(p('x'), undefined);
  assert.equal(p('chat')?.points, 5);
});
