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
  - id: orders
    path: /api/v1/orders/*
    target: ${fresh}
    weights: { legacy: 50, new: 50 }
  - id: invoices
    path: /api/v1/invoices/*
    target: ${fresh}
    weights: { legacy: 100, new: 0 }
  - id: profile
    path: /api/v1/profile/*
    target: legacy
`,
  );
});
after(() => c?.stop());

/** The cluster-wide counts GET /admin/routes shows for a route once the instances flushed their seconds. */
async function served(id: string) {
  const routes = (await admin(c.a.url, 'GET', '/admin/routes')).json().routes;
  return routes.find((r: { id: string }) => r.id === id).served_cluster;
}

test('the overview lists every route of routes.yaml with its sides and the shares both instances served', async (t) => {
  // Traffic on both instances: reports all new, orders split by cookie-less users, invoices all legacy.
  const sent = {
    reports: [await sideCounts(c.a.url, '/api/v1/reports/x', 12), await sideCounts(c.b.url, '/api/v1/reports/x', 8)],
    orders: [await sideCounts(c.a.url, '/api/v1/orders/x', 40), await sideCounts(c.b.url, '/api/v1/orders/x', 40)],
    invoices: [await sideCounts(c.a.url, '/api/v1/invoices/x', 5), await sideCounts(c.b.url, '/api/v1/invoices/x', 5)],
  };
  const total = (id: keyof typeof sent) => ({
    legacy: sent[id][0].legacy + sent[id][1].legacy,
    new: sent[id][0].new + sent[id][1].new,
  });
  assert.deepEqual(total('reports'), { legacy: 0, new: 20 });
  assert.deepEqual(total('invoices'), { legacy: 10, new: 0 });
  const orders = total('orders');
  assert.ok(orders.legacy > 0 && orders.new > 0, JSON.stringify(orders));
  // Each instance adds a second's counts to the store once it is over.
  await waitFor(async () => (await served('orders'))?.total === 80 && (await served('invoices'))?.total === 10, 5_000);

  const context = await laptop(c);
  t.after(() => context.close());
  const { page, problems } = await openConsole(context, c.a.url);
  const row = (id: string) => page.locator(`tr[data-route="${id}"]`);
  for (const id of ['reports', 'orders', 'invoices', 'profile']) await row(id).waitFor({ timeout: 10_000 });

  await waitFor(
    async () => /new 20 \(100%\)/.test((await row('reports').locator('.served').textContent()) ?? ''),
    5_000,
  );
  // The share as the console writes it (one decimal, none when whole), from the same five minutes it shows.
  const share = (await served('orders')).share;
  const pct = (x: number) => `${(x * 100).toFixed(1).replace(/\.0+$/, '')}%`;
  const ordersServed = (await row('orders').locator('.served').textContent()) ?? '';
  assert.ok(ordersServed.includes(`legacy ${orders.legacy} (${pct(share.legacy)})`), ordersServed);
  assert.ok(ordersServed.includes(`new ${orders.new} (${pct(share.new)})`), ordersServed);
  assert.match((await row('invoices').locator('.served').textContent()) ?? '', /legacy 10 \(100%\)/);

  assert.equal(await row('reports').locator('.in-force').textContent(), 'new');
  assert.equal(await row('orders').locator('.in-force').textContent(), 'split');
  assert.equal(await row('invoices').locator('.in-force').textContent(), 'legacy');
  assert.equal(await row('profile').locator('.in-force').textContent(), 'legacy');
  assert.match((await row('orders').locator('.weights').textContent()) ?? '', /legacy 50 · new 50\s*routes\.yaml/);
  assert.match((await row('reports').locator('.quality').textContent()) ?? '', /new 0% · [\d.]+ ms/);

  // Progress: reports new; orders split; invoices and profile legacy.
  const progress = async (p: string) => page.locator(`[data-progress="${p}"] strong`).textContent();
  assert.deepEqual(
    [await progress('legacy'), await progress('split'), await progress('new'), await progress('complete')],
    ['2', '1', '1', '0'],
  );
  // Flags with their source, and both instances (they announce themselves every 10 s: the first at start).
  assert.match((await page.locator('tr[data-flag="route_all_to_legacy"]').textContent()) ?? '', /off\s*environment/);
  await waitFor(async () => (await page.locator('[data-instance]').count()) === 2, 15_000);

  t.diagnostic(`screenshot (overview): ${await screenshot(page, 'console-overview')}`);
  assert.deepEqual(problems, []);
});
