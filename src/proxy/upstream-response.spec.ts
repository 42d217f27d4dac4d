import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UpstreamResponse } from './upstream-response';

function responseWith(fields: [string, string][]): UpstreamResponse {
  const up = new UpstreamResponse({ upstreamHead: () => undefined, upstreamFailed: () => undefined });
  const raw = fields.flatMap(([n, v]) => [Buffer.from(n, 'latin1'), Buffer.from(v, 'latin1')]);
  up.onHeaders(200, raw, () => undefined, 'OK');
  return up;
}

test('hasHeader finds a field whatever the case the upstream wrote its name in', () => {
  const up = responseWith([
    ['Content-Type', 'application/json'],
    ['Cache-Control', 'max-age=60'],
  ]);
  assert.equal(up.hasHeader('cache-control'), true);
  assert.equal(up.hasHeader('content-type'), true);
});

test('hasHeader says no for an absent field, also one whose name has the same length as a present one', () => {
  const up = responseWith([
    ['Connection', 'keep-alive'],
    ['Date', 'Mon, 07 Dec 2026 00:00:00 GMT'],
  ]);
  // "set-cookie" has the length of "connection": the length is only a first filter.
  assert.equal(up.hasHeader('set-cookie'), false);
  assert.equal(up.hasHeader('expires'), false);
});

test('hasHeader agrees with the parsed headers once they were built', () => {
  const up = responseWith([['EXPIRES', 'Thu, 01 Jan 2099 00:00:00 GMT']]);
  assert.equal(up.headers.expires, 'Thu, 01 Jan 2099 00:00:00 GMT');
  assert.equal(up.hasHeader('expires'), true);
  assert.equal(up.hasHeader('cache-control'), false);
});
