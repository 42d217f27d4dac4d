import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { startBrowser } from '../support/browser';

// The harness itself: Chromium starts headless here and runs a page's script, or every browser test would fail late.
test('Chromium runs a page script served over loopback', async (t) => {
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end('<!doctype html><p id="out">static</p><script>document.getElementById("out").textContent = "ran"</script>');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const browser = await startBrowser();
    t.after(() => browser.close());
    const page = await (await browser.context()).newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    assert.equal(await page.textContent('#out'), 'ran');
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
