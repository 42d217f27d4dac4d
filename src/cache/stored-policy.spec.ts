import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StoredPolicy } from './stored-policy';

/** A policy whose clock the test sets. */
class ClockedPolicy extends StoredPolicy {
  static at = 0;
  override now(): number {
    return ClockedPolicy.at;
  }
}

const stored = () => {
  ClockedPolicy.at = Date.parse('2026-12-07T00:00:00.000Z');
  return new ClockedPolicy(
    { url: '/a', method: 'GET', headers: {} },
    {
      status: 200,
      headers: { 'cache-control': 'max-age=300', date: new Date(ClockedPolicy.at).toUTCString(), connection: 'x' },
    },
    { shared: true },
  );
};

test('hits within one second share the served head; the next second gets Age and Date of its own', () => {
  const p = stored();
  ClockedPolicy.at += 10_200;
  const first = p.responseHeaders();
  assert.equal(first.age, '10');
  assert.equal(first.date, 'Mon, 07 Dec 2026 00:00:10 GMT');
  assert.equal(first.connection, undefined, 'hop-by-hop fields are not served');
  ClockedPolicy.at += 500;
  assert.equal(p.responseHeaders(), first);
  ClockedPolicy.at += 400;
  const next = p.responseHeaders();
  assert.equal(next.age, '11');
  assert.equal(next.date, 'Mon, 07 Dec 2026 00:00:11 GMT');
});

test('freshness is judged at the request’s own time, not the second the head was built in', () => {
  const p = stored();
  ClockedPolicy.at += 299_000;
  assert.equal(p.evaluateRequest({ url: '/a', method: 'GET', headers: {} }).revalidation, undefined);
  ClockedPolicy.at += 999;
  assert.equal(p.evaluateRequest({ url: '/a', method: 'GET', headers: {} }).revalidation, undefined);
  ClockedPolicy.at += 2;
  assert.ok(p.evaluateRequest({ url: '/a', method: 'GET', headers: {} }).revalidation);
});

test('an entry revalidated by a 304 keeps building its head once per second', () => {
  const p = stored();
  const { policy } = p.revalidatedPolicy(
    { url: '/a', method: 'GET', headers: {} },
    { status: 304, headers: { 'cache-control': 'max-age=300' } },
  );
  assert.ok(policy instanceof ClockedPolicy);
  assert.equal(policy.responseHeaders(), policy.responseHeaders());
});
