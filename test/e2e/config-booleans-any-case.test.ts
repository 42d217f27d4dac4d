import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startChild } from '../support/child';
import type { CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway } from '../support/gateway';
import { send } from '../support/http';
import { sideUpstream } from '../support/migration';
import { GATEWAY_MAIN, ROOT } from '../support/paths';

/**
 * Boolean variables are read in any case, spaces trimmed: `ROUTE_ALL_TO_LEGACY=TRUE` typed during an emergency
 * rollback starts the gateway and rolls back, instead of a crash loop. A value that is no boolean still stops the
 * start, naming the variable.
 */

let legacy: CountingUpstream;
let fresh: CountingUpstream;
let yaml: string;

before(async () => {
  [legacy, fresh] = await Promise.all([sideUpstream('legacy'), sideUpstream('new')]);
  yaml = routesFile(`
routes:
  - id: reports
    path: /api/v1/reports/*
    target: ${fresh.url}
`);
});
after(async () => {
  await Promise.all([legacy?.close(), fresh?.close()]);
});

test('ROUTE_ALL_TO_LEGACY=TRUE starts the gateway and sends a new-side route to legacy', async () => {
  const gw = await startGateway({
    LEGACY_URL: legacy.url,
    ROUTES_FILE: yaml,
    RATE_LIMIT: 'off',
    ROUTE_ALL_TO_LEGACY: 'TRUE',
    ACCESS_LOG: ' Off ',
  });
  try {
    const res = await send(`${gw.url}/api/v1/reports/q`);
    assert.equal(res.status, 200, res.body.toString());
    assert.equal(res.json().side, 'legacy');
    assert.equal(fresh.hits(), 0);
    assert.match((await send(`${gw.url}/metrics`)).body.toString(), /gateway_flag\{name="route_all_to_legacy"\} 1/);
  } finally {
    await gw.stop();
  }
});

test('a boolean variable with another word stops the start with one line naming it', async () => {
  const child = startChild(process.execPath, [GATEWAY_MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ROUTES_FILE: yaml, ROUTE_ALL_TO_LEGACY: 'yes please' },
  });
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 15_000);
  const code = await child.exited;
  clearTimeout(timer);
  assert.equal(code, 1);
  const lines = child.output().trim().split('\n');
  assert.equal(lines.length, 1, child.output());
  assert.match(lines[0], /ROUTE_ALL_TO_LEGACY: /);
});
