import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { screenshot } from '../support/chat-page';
import { laptop, openConsole, sideCounts, startConsoleCluster, type ConsoleCluster } from '../support/console-browser';
import { admin, waitFor } from '../support/migration';

let c: ConsoleCluster;

before(async () => {
  c = await startConsoleCluster(
    (fresh) => `
routes:
  - id: orders
    path: /api/v1/orders/*
    target: ${fresh}
    weights: { legacy: 100, new: 0 }
`,
  );
});
after(() => c?.stop());

test('20% set in the console on A: B serves about 20% of new users to the new side within a second', async (t) => {
  assert.deepEqual(await sideCounts(c.b.url, '/api/v1/orders/x', 20), { legacy: 20, new: 0 });
  const context = await laptop(c);
  t.after(() => context.close());
  const { page, problems } = await openConsole(context, c.a.url, '#/route/orders');
  assert.equal(await page.textContent('main h1'), 'Route orders');
  assert.match((await page.textContent('.weights-now')) ?? '', /legacy 100 · new 0 \(routes\.yaml\)/);

  // The slider and the number move together; nothing is sent before the confirmation.
  await page.fill('#weight-number', '20');
  assert.equal(await page.inputValue('#weight-range'), '20');
  await page.click('.weight-form button[type=submit]');
  const dialog = page.locator('dialog[open]');
  await dialog.waitFor({ timeout: 5_000 });
  assert.match(
    (await dialog.textContent()) ?? '',
    /20% of this route's users \(buckets 0–20\) move from legacy to the new side/,
  );
  t.diagnostic(`screenshot (weight confirmation): ${await screenshot(page, 'console-weight-confirm')}`);
  assert.deepEqual((await admin(c.b.url, 'GET', '/admin/routes')).json().routes[0].weights, {
    legacy: 100,
    new: 0,
    source: 'file',
  });

  const put = page.waitForResponse((r) => r.url().endsWith('/admin/routes/orders') && r.request().method() === 'PUT');
  await dialog.locator('button:has-text("Apply 20%")').click();
  assert.equal((await put).status(), 200);
  // From the moment A took the change: B has it (the pub/sub message) and serves by it.
  const took = await waitFor(
    async () => (await admin(c.b.url, 'GET', '/admin/routes')).json().routes[0].weights.new === 20,
    1_000,
    { stepMs: 10, what: "B's weights at 20" },
  );
  t.diagnostic(`B had the weight ${took} ms after A answered the console`);
  const counts = await sideCounts(c.b.url, '/api/v1/orders/x', 400);
  const share = counts.new / 400;
  // 400 fresh users at 20%: the standard deviation is 2%, so 12-28% is four of them either way.
  assert.ok(share > 0.12 && share < 0.28, `B sent ${counts.new} of 400 new users to the new side`);

  await page.waitForSelector('.weights-now:has-text("legacy 80 · new 20 (admin override)")', { timeout: 5_000 });
  assert.match(
    (await page.textContent('section[aria-labelledby=weights-h] [role=status]')) ?? '',
    /Weights set: legacy 80 · new 20/,
  );
  t.diagnostic(`screenshot (route page at 20%): ${await screenshot(page, 'console-route-weight-20')}`);
  assert.deepEqual(problems, []);
});
