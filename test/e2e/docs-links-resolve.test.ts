/*
 * The README and docs/ are read on a fresh clone and on the repository's web page: every relative link must name
 * a file of the repository (and a heading of it, when it has an anchor), and no link may lead outside the
 * repository's own files, except to the local demo (localhost). The README stays a front door: at most 300 lines.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { headingAnchors, markdownLinks, readText } from '../support/markdown';
import { ROOT } from '../support/paths';

const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];

const LOCAL_DEMO = /^https?:\/\/(localhost|127\.0\.0\.1)(:\d+)?(\/|$)/;

const anchorsOf = new Map<string, Set<string>>();
function anchors(file: string): Set<string> {
  let set = anchorsOf.get(file);
  if (!set) anchorsOf.set(file, (set = headingAnchors(readText(file))));
  return set;
}

/** What is wrong with one link of `from`, or undefined. */
function problem(from: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return LOCAL_DEMO.test(target) ? undefined : 'leads outside the repository';
  const [path, anchor] = target.split('#', 2) as [string, string | undefined];
  const file = path === '' ? from : resolve(dirname(from), decodeURIComponent(path));
  const rel = relative(ROOT, file);
  if (rel.startsWith('..') || rel.split(sep)[0] === '..') return 'leads outside the repository';
  if (!existsSync(file)) return `names ${rel}, which does not exist`;
  if (anchor === undefined) return undefined;
  if (statSync(file).isDirectory() || !file.endsWith('.md')) return `has an anchor on ${rel}, which has no headings`;
  return anchors(file).has(anchor) ? undefined : `names #${anchor}, which is no heading of ${rel}`;
}

test('README.md and docs/*.md: every relative link names an existing file and heading, none leaves the repository', () => {
  assert.ok(DOCS.length > 1, 'docs/ holds the reference');
  const broken: string[] = [];
  let count = 0;
  for (const doc of DOCS) {
    const from = join(ROOT, doc);
    for (const link of markdownLinks(readText(from))) {
      count++;
      const why = problem(from, link.target);
      if (why) broken.push(`${doc}:${link.line}: (${link.target}) ${why}`);
    }
  }
  assert.ok(count > 20, `only ${count} links found: the link reader is broken`);
  assert.deepEqual(broken, []);
});

test('the link check itself: a missing file, a missing heading and an outside link are caught', () => {
  const readme = join(ROOT, 'README.md');
  assert.equal(problem(readme, 'docs/operations.md#runbook'), undefined);
  assert.match(problem(readme, 'docs/no-such-page.md') ?? '', /does not exist/);
  assert.match(problem(readme, 'docs/operations.md#no-such-heading') ?? '', /no heading/);
  assert.match(problem(readme, '../shared/DESIGN.md') ?? '', /outside the repository/);
  assert.match(problem(readme, 'https://example.com/') ?? '', /outside the repository/);
  assert.equal(problem(readme, 'http://localhost:8080/chat'), undefined);
});

test('README.md is a front door: at most 300 lines', () => {
  const lines = readText(join(ROOT, 'README.md')).split('\n').length;
  assert.ok(lines <= 300, `README.md has ${lines} lines; move reference material to docs/`);
});

test('README.md and docs/*.md do not talk about how the project was built', () => {
  const words = [/\bissue[ -]?#?\d/i, /\bthe seed\b/i, /\bseed's\b/i, /\bDESIGN\.md\b/];
  const found: string[] = [];
  for (const doc of DOCS)
    readText(join(ROOT, doc))
      .split('\n')
      .forEach((line, i) => {
        for (const w of words) if (w.test(line)) found.push(`${doc}:${i + 1}: ${line.trim().slice(0, 100)}`);
      });
  assert.deepEqual(found, []);
});
