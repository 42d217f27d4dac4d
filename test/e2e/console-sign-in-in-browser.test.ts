import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { screenshot, watchConsole } from '../support/chat-page';
import {
  laptop,
  startConsoleCluster,
  unexpected,
  waitForConsole,
  type ConsoleCluster,
} from '../support/console-browser';
import { send } from '../support/http';
import { ADMIN_TOKEN } from '../support/migration';

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

test('without a session the console is unreachable: the sign-in page, and 401 from its script, stream and API', async () => {
  const res = await send(`${c.a.url}/admin/`);
  const page = res.body.toString();
  assert.match(page, /<input id="token" name="token" type="password"/);
  assert.match(String(res.headers['content-security-policy']), /script-src 'self' 'nonce-/);
  assert.doesNotMatch(page, /id="app"/, 'the console shell without a session');
  for (const path of ['/admin/assets/console.js', '/admin/events', '/admin/routes', '/admin/flags']) {
    assert.equal((await send(`${c.a.url}${path}`)).status, 401, path);
  }
  const put = await send(`${c.a.url}/admin/flags`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-figway-console': '1' },
    body: JSON.stringify({ route_all_to_legacy: true }),
  });
  assert.equal(put.status, 401);
});

test('a wrong token is refused in words; the right one opens the console, on the other instance too', async (t) => {
  const context = await laptop(c);
  t.after(() => context.close());
  const page = await context.newPage();
  const problems = watchConsole(page);
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));

  await page.goto(`${c.a.url}/admin/`);
  assert.equal(await page.getAttribute('#token', 'type'), 'password');
  assert.equal(await page.textContent('label[for=token]'), 'Admin token');
  await page.fill('#token', 'not-the-admin-token-at-all');
  await page.press('#token', 'Enter');
  await page.waitForSelector('#signin-error:not([hidden])', { timeout: 10_000 });
  assert.match((await page.textContent('#signin-error')) ?? '', /not the gateway’s admin token/);
  assert.equal(await page.inputValue('#token'), '', 'the wrong token stays in the box');
  t.diagnostic(`screenshot (sign-in refused): ${await screenshot(page, 'console-signin-refused')}`);
  assert.equal(await page.locator('#app').count(), 0);

  await page.fill('#token', ADMIN_TOKEN);
  await page.click('#signin button[type=submit]');
  await waitForConsole(page);
  await page.waitForSelector('tr[data-route="reports"]', { timeout: 10_000 });
  assert.equal(await page.textContent('main h1'), 'Migration overview');
  assert.equal(await page.locator('[style]').count(), 0, 'a style attribute, which the CSP refuses');
  assert.ok(!requests.some((u) => u.includes(ADMIN_TOKEN)), 'the token went into a URL');
  const storage = await page.evaluate<string>(
    'JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })',
  );
  assert.ok(!storage.includes(ADMIN_TOKEN), 'the token was stored in the page');
  const cookie = (await context.cookies()).find((k) => k.name === 'figway_admin');
  assert.ok(cookie && cookie.httpOnly && cookie.sameSite === 'Strict', JSON.stringify(cookie));
  assert.notEqual(cookie.value, ADMIN_TOKEN);

  // The refused sign-in is the one request answered 401 on purpose.
  assert.deepEqual(unexpected(problems, [/status of 401.*\/admin\/session/]), []);
  assert.equal(problems.length, 1, problems.join('\n'));
  await page.close();

  // Cookies are per host, not per port: the same session is presented to B, which finds it in the shared store.
  const onB = await context.newPage();
  const problemsB = watchConsole(onB);
  await onB.goto(`${c.b.url}/admin/`);
  await waitForConsole(onB);
  await onB.waitForSelector('tr[data-route="reports"]', { timeout: 10_000 });

  // Sign out: the session ends and the sign-in page is back.
  await onB.click('button:has-text("Sign out")');
  await onB.waitForSelector('#token', { timeout: 10_000 });
  assert.equal((await context.cookies()).filter((k) => k.name === 'figway_admin' && k.value).length, 0);

  assert.deepEqual(problemsB, []);
});
