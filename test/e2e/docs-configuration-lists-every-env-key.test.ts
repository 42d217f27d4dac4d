/*
 * docs/configuration.md is the one list of the gateway's environment variables: every key of the env schema
 * (src/config/env.schema.ts) must be named there, in backticks, and every variable its tables name must be a key of
 * the schema, so that adding, renaming or removing a variable without the doc fails here.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { envSchema } from '../../src/config/env.schema';
import { proseLines, readText } from '../support/markdown';
import { ROOT } from '../support/paths';

const DOC = 'docs/configuration.md';
const doc = readText(join(ROOT, DOC));
const keys = Object.keys(envSchema.shape).sort();

/** Variables named in the first cell of a table row: the rows that document a gateway variable. */
function tableVariables(): { line: number; name: string }[] {
  const out: { line: number; name: string }[] = [];
  for (const { line, text } of proseLines(doc)) {
    const first = /^\|([^|]*)\|/.exec(text)?.[1];
    if (!first) continue;
    for (const m of first.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) out.push({ line, name: m[1] });
  }
  return out;
}

test(`every env schema key is named in ${DOC}`, () => {
  assert.ok(keys.length > 50, `only ${keys.length} keys read from the schema`);
  const missing = keys.filter((k) => !doc.includes('`' + k + '`'));
  assert.deepEqual(missing, [], `add these to ${DOC}`);
});

test(`every variable in the tables of ${DOC} is a key of the env schema`, () => {
  const rows = tableVariables();
  assert.ok(rows.length >= keys.length, `only ${rows.length} variables found in the tables`);
  const unknown = rows.filter((r) => !keys.includes(r.name)).map((r) => `${DOC}:${r.line}: ${r.name}`);
  assert.deepEqual(unknown, [], 'documented as gateway variables but not in src/config/env.schema.ts');
});
