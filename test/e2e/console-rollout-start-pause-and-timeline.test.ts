import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { screenshot } from '../support/chat-page';
import { laptop, openConsole, startConsoleCluster, type ConsoleCluster } from '../support/console-browser';
import { admin } from '../support/migration';

let c: ConsoleCluster;

before(async () => {
  c = await startConsoleCluster(
    (fresh) => `
routes:
  - id: orders
    path: /api/v1/orders/*
    target: ${fresh}
    rollout:
      steps: [5, 50, 100]
      step_interval_s: 600
      min_requests: 200
      gates: { max_error_rate: 0.01 }
`,
  );
});
after(() => c?.stop());

test('start and pause from the console: the steps mark the current one and the timeline says who and when', async (t) => {
  const context = await laptop(c);
  t.after(() => context.close());
  const { page, problems } = await openConsole(context, c.a.url, '#/route/orders');
  await page.waitForSelector('.rollout-state:has-text("State: idle")', { timeout: 10_000 });
  assert.equal(await page.locator('.steps li[aria-current=step]').count(), 0);

  await page.click('button:has-text("Start")');
  await page.locator('dialog[open] button:has-text("Start")').click();
  await page.waitForSelector('.rollout-state:has-text("State: running · weight 5%")', { timeout: 5_000 });
  assert.match((await page.textContent('.steps li[aria-current=step]')) ?? '', /^5%/);
  await page.waitForSelector('.timeline li:has-text("start by admin at step 1")', { timeout: 5_000 });
  // The weights come with the next live snapshot, which may land after the action's own answer.
  await page.waitForSelector('.weights-now:has-text("legacy 95 · new 5 (rollout)")', { timeout: 5_000 });
  assert.match((await page.textContent('.evidence')) ?? '', /Judged requests0 of at least 200/);

  // Pause sends nobody anywhere: no confirmation.
  await page.click('button:has-text("Pause")');
  await page.waitForSelector('.rollout-state:has-text("State: paused")', { timeout: 5_000 });
  await page.waitForSelector('.timeline li:has-text("pause by admin")', { timeout: 5_000 });
  const onB = (await admin(c.b.url, 'GET', '/admin/rollouts')).json().rollouts[0];
  assert.equal(onB.state, 'paused');
  // The judge may have logged a hold (the step's interval) between the two: the operator's actions are what counts.
  assert.deepEqual(
    onB.decisions
      .filter((d: { by: string }) => d.by === 'admin')
      .map((d: { decision: string; by: string }) => `${d.decision} ${d.by}`),
    ['pause admin', 'start admin'],
  );
  assert.ok(
    onB.decisions.every((d: { decision: string; by: string }) => d.by === 'admin' || d.decision === 'hold'),
    'the judge did no more than hold',
  );
  assert.equal(await page.locator('button:has-text("Resume")').isEnabled(), true);
  assert.equal(await page.locator('button:has-text("Pause")').isEnabled(), false);
  t.diagnostic(`screenshot (rollout paused): ${await screenshot(page, 'console-rollout-paused')}`);
  assert.deepEqual(problems, []);
});
