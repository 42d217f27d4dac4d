import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { screenshot } from '../support/chat-page';
import { startCountingUpstream } from '../support/counting-upstream';
import { laptop, openConsole, startConsoleCluster, type ConsoleCluster } from '../support/console-browser';
import { send } from '../support/http';
import { admin, waitFor } from '../support/migration';

let c: ConsoleCluster;
let clock = 0;

/**
 * The new side (the primary) and legacy (the shadow) answer the same JSON but for: `total` (changed), the second
 * item (only in the primary), `only_new` / `only_legacy`, `generated_at` (ignored by the route) and `served_at`,
 * which changes on every answer (noise: it differs between two answers of the primary).
 */
function side(name: 'legacy' | 'new') {
  return startCountingUpstream((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('set-cookie', 'sid=secret-value');
    const body = {
      total: name === 'new' ? 3 : 4,
      served_at: ++clock,
      generated_at: `${name}-build`,
      items: name === 'new' ? [{ id: 1 }, { id: 2 }] : [{ id: 1 }],
      ...(name === 'new' ? { only_new: true } : { only_legacy: 'x' }),
    };
    res.end(JSON.stringify(body));
  });
}

before(async () => {
  const [legacy, fresh] = await Promise.all([side('legacy'), side('new')]);
  c = await startConsoleCluster(
    (url) => `
routes:
  - id: reports
    path: /api/v1/reports/*
    target: ${url}
    shadow:
      to: legacy
      sample: 1
      compare_headers: [content-type, set-cookie]
      ignore: ['$.generated_at']
`,
    { upstreams: { legacy, fresh } },
  );
});
after(() => c?.stop());

test('a shadow difference shows on the route page with changed, added, removed, ignored and noise fields marked', async (t) => {
  assert.equal((await send(`${c.a.url}/api/v1/reports/differ?token=secret`)).json().total, 3);
  await waitFor(async () => (await admin(c.a.url, 'GET', '/admin/shadow')).json().diffs.length === 1, 5_000);

  const context = await laptop(c);
  t.after(() => context.close());
  const { page, problems } = await openConsole(context, c.a.url, '#/route/reports');
  const entry = page.locator('details.shadow-diff').first();
  await entry.waitFor({ timeout: 10_000 });
  assert.match(
    (await entry.locator('summary').textContent()) ?? '',
    /GET \/api\/v1\/reports\/differ at .* · 4 differences/,
  );
  assert.doesNotMatch((await entry.textContent()) ?? '', /secret/, 'the query string or the cookie');
  assert.match((await entry.locator('table.headers').textContent()) ?? '', /set-cookie\[redacted\]\[redacted\]/);

  const body = entry.locator('table.body-diff');
  const kindAt = async (path: string) => body.locator(`tr[data-path="${path}"]`).first().getAttribute('data-kind');
  assert.equal(await kindAt('$.total'), 'changed');
  assert.equal(await kindAt('$.items.1'), 'removed');
  assert.equal(await kindAt('$.only_new'), 'removed');
  assert.equal(await kindAt('$.only_legacy'), 'added');
  assert.equal(await kindAt('$.generated_at'), 'ignored');
  assert.equal(await kindAt('$.served_at'), 'noise');
  assert.equal(await kindAt('$.items.0.id'), 'same');
  const total = body.locator('tr[data-path="$.total"]');
  assert.deepEqual(await total.locator('td').allTextContents(), ['  "total": 3', '  "total": 4', 'changed']);
  const added = body.locator('tr[data-path="$.only_legacy"]');
  assert.deepEqual(await added.locator('td').allTextContents(), ['', '  "only_legacy": "x"', 'added']);

  // Highlighted: each kind has its own background, none the plain one of an unchanged line.
  const background = (path: string) =>
    body
      .locator(`tr[data-path="${path}"]`)
      .first()
      .evaluate((tr) => (globalThis as any).getComputedStyle(tr).backgroundColor as string);
  const plain = await background('$.items.0.id');
  const colours = new Set<string>([plain]);
  for (const path of ['$.total', '$.only_legacy', '$.only_new', '$.generated_at', '$.served_at']) {
    colours.add(await background(path));
  }
  assert.equal(colours.size, 6, `changed, added, removed, ignored, noise and same: ${[...colours].join(', ')}`);

  t.diagnostic(`screenshot (shadow diff): ${await screenshot(page, 'console-shadow-diff')}`);
  assert.deepEqual(problems, []);
});
