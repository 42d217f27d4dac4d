import type { BrowserContext, Page } from 'playwright-core';
import { startBrowser, type RunningBrowser } from './browser';
import { watchConsole } from './chat-page';
import type { CountingUpstream } from './counting-upstream';
import { routesFile, startGateway, waitReady, type RunningGateway } from './gateway';
import { send } from './http';
import { ADMIN_TOKEN, inBatches, sideUpstream } from './migration';
import { startRedis, type RedisServer } from './redis';

/**
 * The migration console's tests (issue 21): two gateway instances sharing one redis-server, a legacy and a new
 * upstream that say which side they are, and headless Chromium. `yaml` gets the new side's URL.
 */
export interface ConsoleCluster {
  redis: RedisServer;
  legacy: CountingUpstream;
  fresh: CountingUpstream;
  a: RunningGateway;
  b: RunningGateway;
  browser: RunningBrowser;
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startConsoleCluster(
  yaml: (newUrl: string) => string,
  opts: { bEnv?: Record<string, string>; upstreams?: { legacy: CountingUpstream; fresh: CountingUpstream } } = {},
): Promise<ConsoleCluster> {
  const [redis, legacy, fresh, browser] = await Promise.all([
    startRedis(),
    opts.upstreams?.legacy ?? sideUpstream('legacy'),
    opts.upstreams?.fresh ?? sideUpstream('new'),
    startBrowser(),
  ]);
  const env = {
    LEGACY_URL: legacy.url,
    ROUTES_FILE: routesFile(yaml(fresh.url)),
    RATE_LIMIT: 'off',
    ADMIN_TOKEN,
    REDIS_URL: redis.url,
  };
  const [a, b] = await Promise.all([startGateway(env), startGateway({ ...env, ...opts.bEnv })]);
  await Promise.all([waitReady(a), waitReady(b)]);
  return {
    redis,
    legacy,
    fresh,
    a,
    b,
    browser,
    env,
    async stop() {
      // The browser first: a console still open would log its stream's reconnects as the gateways go.
      await browser.close();
      await Promise.all([a.stop(), b.stop()]);
      await Promise.all([legacy.close(), fresh.close()]);
      await redis.stop();
    },
  };
}

/** A fresh browser context (own cookies) the size of a laptop screen, which the console must be usable on. */
export function laptop(c: ConsoleCluster): Promise<BrowserContext> {
  return c.browser.browser.newContext({ viewport: { width: 1280, height: 800 } });
}

/**
 * Opens /admin/ on `base`, signs in with the token and waits for the console's first snapshot to render. Whatever
 * the page logs in red from the first load on is collected in `problems` (test/support/chat-page.ts watchConsole).
 */
export async function openConsole(
  context: BrowserContext,
  base: string,
  hash = '',
): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems = watchConsole(page);
  await page.goto(`${base}/admin/${hash}`);
  await page.fill('#token', ADMIN_TOKEN);
  await page.click('#signin button[type=submit]');
  await waitForConsole(page);
  // The gateway's CSP refuses style attributes in markup (style-src without 'unsafe-inline'): the console makes none.
  if (await page.locator('[style]').count()) throw new Error('the console rendered an element with a style attribute');
  return { page, problems };
}

/** The console is up when its page heading is there (it renders once the first snapshot arrived). */
export async function waitForConsole(page: Page): Promise<void> {
  await page.waitForSelector('#app main h1', { timeout: 15_000 });
}

/** Answers `{legacy, new}` from `n` cookie-less GETs: each is a fresh user, so the shares follow the weights. */
export async function sideCounts(base: string, path: string, n: number): Promise<{ legacy: number; new: number }> {
  const sides = await inBatches(
    Array.from({ length: n }, (_, i) => i),
    8,
    async () => (await send(`${base}${path}`)).json().side as 'legacy' | 'new',
  );
  return { legacy: sides.filter((s) => s === 'legacy').length, new: sides.filter((s) => s === 'new').length };
}

/**
 * Chromium logs every fetch answered 4xx as a console error ("Failed to load resource: ... 409"). A test that
 * provokes a refusal on purpose names it; anything else the page logged in red stays a failure.
 */
export function unexpected(problems: string[], expected: RegExp[]): string[] {
  return problems.filter((p) => !expected.some((e) => e.test(p)));
}
