import { chromium, type Browser, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export interface RunningBrowser {
  browser: Browser;
  /** A fresh context (own cookies and storage) per call. */
  context(): Promise<BrowserContext>;
  close(): Promise<void>;
}

/**
 * Debian's Chromium, headless, as root in a sandbox-less CI container. The background-networking flags matter: this
 * machine has no internet, and without them Chromium keeps dialling Google hosts that are refused, which slows pages.
 * Playwright gives every launch a fresh temporary profile and removes it on close.
 */
export async function startBrowser(): Promise<RunningBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 30_000,
  });
  return {
    browser,
    context: () => browser.newContext(),
    async close() {
      await browser.close().catch(() => undefined);
    },
  };
}
