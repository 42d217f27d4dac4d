import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startExpectingExit } from '../support/failed-start';
import { routesFile } from '../support/gateway';

const boot = startExpectingExit;

test('bad environment values stop the start with one line naming every bad key', async () => {
  const { code, output } = await boot({
    PORT: 'eighty',
    CSP_MODE: 'sometimes',
    UPSTREAM_TIMEOUT_MS: '-5',
    FALLBACK_AUTH: 'maybe',
  });
  assert.equal(code, 1);
  const lines = output.trim().split('\n');
  assert.equal(lines.length, 1, output);
  for (const key of ['PORT', 'CSP_MODE', 'UPSTREAM_TIMEOUT_MS', 'FALLBACK_AUTH'])
    assert.match(lines[0], new RegExp(key));
});

test('a bad routes.yaml stops the start naming the bad entries', async () => {
  const file = routesFile('routes:\n  - id: x\n    path: /a/*/b\n    target: module:nope-not-here\n');
  const { code, output } = await boot({ ROUTES_FILE: file });
  assert.equal(code, 1);
  assert.match(output, /routes\[0\] \(x\) path: /);
});

test('a route naming a module that does not exist stops the start', async () => {
  const file = routesFile('routes:\n  - id: x\n    path: /api/v2/x\n    target: module:nope\n');
  const { code, output } = await boot({ ROUTES_FILE: file });
  assert.equal(code, 1);
  assert.match(output, /unknown module\(s\): nope/);
});

test('an upstream URL with parts a request cannot carry (query, credentials) stops the start naming the variable', async () => {
  const { code, output } = await boot({ LEGACY_URL: 'http://127.0.0.1:5000/legacy?tenant=a' });
  assert.equal(code, 1);
  const lines = output.trim().split('\n');
  assert.equal(lines.length, 1, output);
  assert.match(lines[0], /LEGACY_URL.*must not have a query/);
  assert.doesNotMatch(lines[0], /tenant=a/, 'the URL is not repeated');
  const file = routesFile('routes:\n  - id: x\n    path: /x\n    target: http://user:pw@127.0.0.1:9000/base\n');
  const route = await boot({ ROUTES_FILE: file });
  assert.equal(route.code, 1);
  assert.match(route.output, /routes\[0\] \(x\) target: /);
  assert.doesNotMatch(route.output, /user:pw/, 'no credentials in the message');
});
