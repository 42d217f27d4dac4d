import assert from 'node:assert/strict';
import { test } from 'node:test';
import { storedClientHeaders } from './response-headers';
import type { HeadEdit } from './response-transforms';

test('a stored head keeps its fields, loses what the edits drop, and the gateway’s own fields replace same names', () => {
  const edits: HeadEdit[] = [{ drop: new Set(['server']), append: ['x-fixed', '1'] }];
  const sent = storedClientHeaders(
    { 'content-type': 'application/json', server: 'gunicorn', 'content-length': 7, link: ['</a>', '</b>'] },
    { 'content-length': 12, 'x-cache': 'HIT' },
    edits,
  );
  assert.deepEqual(sent, [
    'content-type',
    'application/json',
    'link',
    '</a>',
    'link',
    '</b>',
    'content-length',
    '12',
    'x-cache',
    'HIT',
    'x-fixed',
    '1',
  ]);
});
