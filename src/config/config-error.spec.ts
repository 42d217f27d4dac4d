import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from './config-error';
import { loadRoutes } from './load-config';

function problems(yaml: string): string[] {
  const file = join(mkdtempSync(join(tmpdir(), 'figway-cfg-')), 'routes.yaml');
  writeFileSync(file, yaml);
  try {
    loadRoutes(file);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  return assert.fail('expected a ConfigError');
}

const TWO_ROUTES = 'routes:\n  - id: reports\n    path: /api/v1/reports/*\n    target: legacy\n';

test('a route is named by its index and its id, then the field; an unknown key is named as such', () => {
  const found = problems(
    `${TWO_ROUTES}  - id: v2-chat\n    path: /api/v2/chat\n    target: module:chat\n    taget: x\n`,
  );
  assert.deepEqual(found, ['routes[1] (v2-chat): unknown key "taget"']);
  const nested = problems(`${TWO_ROUTES}    fallback: { statusez: [500] }\n    weights: { legacy: 50, new: 60 }\n`);
  assert.ok(nested.includes('routes[0] (reports) fallback: unknown key "statusez"'), nested.join('\n'));
  assert.ok(
    nested.some((p) => p.startsWith('routes[0] (reports) weights: ')),
    nested.join('\n'),
  );
});

test('a route without an id is named by its index; a bad id is still shown as written', () => {
  const found = problems(
    'routes:\n  - path: /x\n    target: legacy\n  - id: Bad Id\n    path: /y\n    target: legacy\n',
  );
  assert.ok(
    found.some((p) => p.startsWith('routes[0] id: ')),
    found.join('\n'),
  );
  assert.ok(
    found.some((p) => p.startsWith('routes[1] (Bad Id) id: ')),
    found.join('\n'),
  );
  assert.deepEqual(problems('rutes: []\n'), ['(root): unknown key "rutes"']);
});

test('a YAML syntax error gives line and column, the line before, the offending line and a caret under the spot', () => {
  const [found] = problems(`${TWO_ROUTES}    methods: [GET, POST\n  - id: x\n    path: /x\n    target: legacy\n`);
  const lines = found.split('\n');
  assert.match(lines[0], /^not valid YAML at line 6, column 3: \S/);
  assert.deepEqual(lines.slice(1), ['  5 |     methods: [GET, POST', '  6 |   - id: x', '    |   ^']);
});

test('an error found at the end of the file shows the last line with text, not a blank one', () => {
  const [found] = problems('routes:\n  - id: a\n    path: "/x\n\n\n');
  const lines = found.split('\n');
  assert.match(lines[0], /^not valid YAML at line 6, column 1 \(the end of the file\): \S/);
  assert.deepEqual(lines.slice(1), ['  2 |   - id: a', '  3 |     path: "/x', '    |              ^']);
});

test('a caret under a tab-indented line keeps the tabs; numbers of different widths line up', () => {
  const [tab] = problems('routes:\n  - { id: a,\tpath: /x: y }\n');
  assert.deepEqual(tab.split('\n').slice(-2), [
    '  2 |   - { id: a,\tpath: /x: y }',
    `    | ${' '.repeat(12)}\t      ^`,
  ]);
  const nine = 'routes:\n' + '  # a comment\n'.repeat(7);
  const [wide] = problems(`${nine}  - id: a\n   path: /x\n`);
  assert.deepEqual(wide.split('\n').slice(1), ['   9 |   - id: a', '  10 |    path: /x', '     | ^']);
});

test('a password in a shown line is masked, character for character (RFC 3986 3.2.1)', () => {
  const [found] = problems('routes:\n  - id: a\n    path: /x\n  target: http://user:pw@host:1/\n');
  assert.doesNotMatch(found, /user:pw/);
  assert.match(found, /target: http:\/\/\*{7}@host:1\//);
});
