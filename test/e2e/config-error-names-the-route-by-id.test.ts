import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startExpectingExit } from '../support/failed-start';
import { routesFile } from '../support/gateway';

test('a bad routes.yaml entry is named by its index and its id, with the field or the unknown key', async () => {
  const file = routesFile(
    [
      'routes:',
      '  - id: reports',
      '    path: /api/v1/reports/*',
      '    target: legacy',
      '  - id: v2-chat',
      '    path: /api/v2/chat',
      '    target: module:chat',
      '    taget: module:chat',
      '  - id: search',
      '    path: search',
      '    target: legacy',
      '',
    ].join('\n'),
  );
  const { code, output } = await startExpectingExit({ ROUTES_FILE: file });
  assert.equal(code, 1);
  const lines = output.trim().split('\n');
  assert.equal(lines.length, 1, output);
  assert.ok(lines[0].startsWith(`figway: invalid configuration in ${file}: `), output);
  const problems = lines[0].slice(`figway: invalid configuration in ${file}: `.length).split('; ');
  assert.deepEqual(problems, [
    'routes[1] (v2-chat): unknown key "taget"',
    'routes[2] (search) path: must start with /',
  ]);
});
