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
  - id: reports
    path: /api/v1/reports/*
    target: ${fresh}
`,
  );
});
after(() => c?.stop());

const allOn = async (side: 'legacy' | 'new') => {
  const [a, b] = [
    await sideCounts(c.a.url, '/api/v1/reports/x', 10),
    await sideCounts(c.b.url, '/api/v1/reports/x', 10),
  ];
  return a[side] === 10 && b[side] === 10;
};

test('a rollback from the console sends the route to legacy on both instances; ending it sends it back', async (t) => {
  assert.ok(await allOn('new'));
  const context = await laptop(c);
  t.after(() => context.close());
  const { page, problems } = await openConsole(context, c.a.url);
  // From the overview to the route page by keyboard: the route's link, then Enter.
  await page.locator('tr[data-route="reports"] a').focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('h1:has-text("Route reports")', { timeout: 5_000 });
  assert.match((await page.textContent('.rollback-now')) ?? '', /Rollback: off/);

  await page.click('#rollback-toggle');
  const dialog = page.locator('dialog[open]');
  await dialog.waitFor({ timeout: 5_000 });
  assert.match((await dialog.textContent()) ?? '', /Every request of this route goes to legacy on all instances/);
  // Escape cancels: nothing is sent.
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached', timeout: 5_000 });
  assert.equal(await page.locator('dialog[open]').count(), 0);
  assert.ok(await allOn('new'), 'a cancelled rollback was applied');

  await page.click('#rollback-toggle');
  await dialog.locator('button:has-text("Roll back")').click();
  const took = await waitFor(() => allOn('legacy'), 1_000, { stepMs: 10, what: 'both instances on legacy' });
  t.diagnostic(`both instances on legacy ${took} ms after the confirmation`);
  const route = (await admin(c.b.url, 'GET', '/admin/routes')).json().routes[0];
  assert.deepEqual(route.rollback, { value: true, source: 'admin' });
  assert.equal(route.in_force, 'legacy (rollback)');
  await page.waitForSelector('.rollback-now:has-text("Rollback: on (admin override)")', { timeout: 5_000 });
  await page.waitForSelector('.in-force:has-text("legacy (rollback)")', { timeout: 5_000 });
  t.diagnostic(`screenshot (route rolled back): ${await screenshot(page, 'console-route-rolled-back')}`);

  await page.click('#rollback-toggle');
  await dialog.locator('button:has-text("End rollback")').click();
  await waitFor(() => allOn('new'), 1_000, { stepMs: 10, what: 'both instances back on new' });
  await page.waitForSelector('.rollback-now:has-text("Rollback: off")', { timeout: 5_000 });
  assert.deepEqual(problems, []);
});
