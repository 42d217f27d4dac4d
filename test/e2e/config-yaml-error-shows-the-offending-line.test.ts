import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startExpectingExit } from '../support/failed-start';
import { routesFile } from '../support/gateway';

test('a YAML syntax error in routes.yaml shows where it is: the line before, the offending line, a caret', async () => {
  const file = routesFile(
    [
      'routes:',
      '  - id: reports',
      '    path: /api/v1/reports/*',
      '    target: legacy',
      '    methods: [GET, HEAD',
      '  - id: search',
      '    path: /api/v1/search',
      '    target: legacy',
      '',
    ].join('\n'),
  );
  const { code, output } = await startExpectingExit({ ROUTES_FILE: file });
  assert.equal(code, 1);
  const lines = output.trimEnd().split('\n');
  assert.equal(lines.length, 4, output);
  const prefix = `figway: invalid configuration in ${file}: `;
  assert.ok(lines[0].startsWith(prefix), output);
  // What is wrong (the parser's words) after where.
  assert.match(lines[0].slice(prefix.length), /^not valid YAML at line 6, column 3: \S/);
  assert.deepEqual(lines.slice(1), ['  5 |     methods: [GET, HEAD', '  6 |   - id: search', '    |   ^']);
  // Not the parser's own frame cut after its first line.
  assert.doesNotMatch(output, /column \d+:\s*$/m);
});
