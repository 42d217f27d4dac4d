import assert from 'node:assert/strict';
import { test } from 'node:test';
import { directiveLabel, parseViolations, ReportLimiter } from './csp-report';

test('the directive label is a known CSP directive name, else other', () => {
  assert.equal(directiveLabel('script-src-attr'), 'script-src-attr');
  assert.equal(directiveLabel("Script-Src 'self' 'nonce-abc'"), 'script-src');
  assert.equal(directiveLabel('made-up-directive'), 'other');
  assert.equal(directiveLabel('x'.repeat(5_000)), 'other');
  assert.equal(directiveLabel(undefined), 'other');
});

test('both report formats are read; URLs lose query strings and long fields are clipped', () => {
  const legacy = parseViolations(
    JSON.stringify({
      'csp-report': {
        'document-uri': 'https://app.example/page?token=secret#frag',
        'violated-directive': "script-src-elem 'self'",
        'blocked-uri': 'inline',
        'line-number': 12,
        disposition: 'enforce',
      },
    }),
  );
  assert.deepEqual(legacy, [
    {
      directive: 'script-src-elem',
      disposition: 'enforce',
      blocked: 'inline',
      document: 'https://app.example/page',
      source: undefined,
      line: 12,
    },
  ]);
  const api = parseViolations(
    JSON.stringify([
      {
        type: 'csp-violation',
        body: {
          effectiveDirective: 'script-src-attr',
          documentURL: 'http://h/p?x=1',
          sourceFile: 'http://h/' + 'a'.repeat(500),
        },
      },
      { type: 'deprecation', body: {} },
    ]),
  );
  assert.equal(api.length, 1);
  assert.equal(api[0].directive, 'script-src-attr');
  assert.equal(api[0].document, 'http://h/p');
  assert.ok(api[0].source!.length <= 203);
  assert.throws(() => parseViolations('{nope'), /not JSON/);
  assert.throws(() => parseViolations('{"x":1}'), /CSP violation report/);
});

test('the limiter allows N per client per minute, then refuses until the window ends; clients are apart', () => {
  let now = 1_000;
  const l = new ReportLimiter(3, () => now);
  for (let i = 0; i < 3; i++) assert.equal(l.take('10.0.0.1'), 0);
  assert.ok(l.take('10.0.0.1') > 0);
  assert.equal(l.take('10.0.0.2'), 0);
  now += 60_000;
  assert.equal(l.take('10.0.0.1'), 0);
});
