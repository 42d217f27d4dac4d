import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/**
 * Everything the page would show a developer in red: console errors (failed requests appear there as "Failed to
 * load resource"), CSP refusals (logged as errors, and as warnings in report-only mode) and uncaught exceptions.
 */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy|Refused to/i.test(m.text())) {
      problems.push(`${m.type()}: ${m.text()} (${m.location().url})`);
    }
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return problems;
}

/** Fills and submits the sign-in form the page shows when there is no legacy session. */
export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.waitForSelector('#signin:not([hidden])', { timeout: 10_000 });
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#login-form button[type=submit]');
}

/** A full-page screenshot under the OS temp dir, for a person to look at; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(tmpdir(), `figway-${name}-${process.pid}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
