import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UPSTREAM_FAILURES } from './upstream-errors';
import { retryChoice, spend, type FailedAttempt, type RetriesSpent } from './retry-policy';

const attempt = (over: Partial<FailedAttempt> = {}): FailedAttempt => ({
  kind: 'connect',
  method: 'GET',
  withBody: false,
  clientGone: false,
  alternative: true,
  spent: 0,
  ...over,
});

test('a refused connect moves a bodiless request to another instance, when there is one', () => {
  assert.equal(retryChoice(attempt()), 'another');
  assert.equal(retryChoice(attempt({ alternative: false })), undefined);
  // Nothing reached the instance, so even a non-idempotent bodiless method may move.
  assert.equal(retryChoice(attempt({ method: 'POST' })), 'another');
});

test('a reset before the head is retried on the same instance for bodiless idempotent methods only', () => {
  for (const method of ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'])
    assert.equal(retryChoice(attempt({ kind: 'reset', method })), 'same', method);
  for (const method of ['POST', 'PATCH', 'QUERY', 'PROPFIND'])
    assert.equal(retryChoice(attempt({ kind: 'reset', method })), undefined, method);
  assert.equal(retryChoice(attempt({ kind: 'reset', alternative: false })), 'same');
});

test('a body is never replayed, and nothing is retried for a client that left', () => {
  for (const kind of UPSTREAM_FAILURES) {
    assert.equal(retryChoice(attempt({ kind, withBody: true })), undefined, kind);
    assert.equal(retryChoice(attempt({ kind, clientGone: true })), undefined, kind);
  }
});

test('timeouts, protocol errors and aborts are never retried', () => {
  for (const kind of ['timeout', 'protocol', 'aborted'] as const)
    assert.equal(retryChoice(attempt({ kind, method: 'GET' })), undefined, kind);
});

test('each kind is spent once, independently: a reset then a refused connect still moves on', () => {
  const afterReset = spend(0, 'reset');
  assert.equal(retryChoice(attempt({ kind: 'reset', spent: afterReset })), undefined);
  assert.equal(retryChoice(attempt({ kind: 'connect', spent: afterReset })), 'another');
  const afterConnect = spend(0, 'connect');
  assert.equal(retryChoice(attempt({ kind: 'connect', spent: afterConnect })), undefined);
  assert.equal(retryChoice(attempt({ kind: 'reset', spent: afterConnect })), 'same');
});

test('whatever the failures, a request makes at most three attempts', () => {
  // Every sequence of failures: follow the decisions until one says stop.
  const longest = (spent: RetriesSpent, depth: number): number => {
    let most = depth;
    for (const kind of UPSTREAM_FAILURES) {
      const choice = retryChoice(attempt({ kind, spent }));
      if (choice) most = Math.max(most, longest(spend(spent, kind), depth + 1));
    }
    return most;
  };
  assert.equal(longest(0, 1), 3);
});
