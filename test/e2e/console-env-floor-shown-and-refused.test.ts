import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { screenshot } from '../support/chat-page';
import {
  laptop,
  openConsole,
  sideCounts,
  startConsoleCluster,
  unexpected,
  type ConsoleCluster,
} from '../support/console-browser';

let c: ConsoleCluster;

// B starts with the floor in its environment; A, on the same Redis, without it.
before(async () => {
  c = await startConsoleCluster(
    (fresh) => `
routes:
  - id: reports
    path: /api/v1/reports/*
    target: ${fresh}
`,
    { bEnv: { ROUTE_ALL_TO_LEGACY: 'true' } },
  );
});
after(() => c?.stop());

test('ROUTE_ALL_TO_LEGACY=true shows as an env floor, and switching it off is refused in words', async (t) => {
  const context = await laptop(c);
  t.after(() => context.close());
  const { page, problems } = await openConsole(context, c.b.url);
  const flag = page.locator('tr[data-flag="route_all_to_legacy"]');
  await flag.waitFor({ timeout: 10_000 });
  assert.equal(await flag.locator('.value').textContent(), 'on');
  assert.equal(await flag.locator('.source').textContent(), 'env floor (restart to change)');
  const row = page.locator('tr[data-route="reports"]');
  assert.equal(await row.locator('.in-force').textContent(), 'legacy (route_all_to_legacy)');
  assert.match((await row.locator('.weights').textContent()) ?? '', /env floor: ROUTE_ALL_TO_LEGACY/);

  await page.click('#toggle-all-to-legacy');
  const dialog = page.locator('dialog[open]');
  await dialog.locator('button:has-text("Switch off")').click();
  const alert = page.locator('section[aria-labelledby=flags-h] [role=alert]');
  await alert.waitFor({ timeout: 5_000 });
  assert.equal(
    await alert.textContent(),
    'ROUTE_ALL_TO_LEGACY=true is set in the environment; only a restart without it undoes it.',
  );
  t.diagnostic(`screenshot (env floor refused): ${await screenshot(page, 'console-env-floor-refused')}`);
  assert.equal(await flag.locator('.source').textContent(), 'env floor (restart to change)');
  assert.deepEqual(await sideCounts(c.b.url, '/api/v1/reports/x', 10), { legacy: 10, new: 0 });
  assert.deepEqual(await sideCounts(c.a.url, '/api/v1/reports/x', 10), { legacy: 0, new: 10 }, 'A has no floor');
  // The 409 is the refusal the test asked for; Chromium logs any 4xx fetch as an error.
  assert.deepEqual(unexpected(problems, [/status of 409.*\/admin\/flags/]), []);
});
