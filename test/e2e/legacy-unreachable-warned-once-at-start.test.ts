import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCountingUpstream } from '../support/counting-upstream';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { CLOSED_PORT } from '../support/ports';
import { waitFor } from '../support/wait';

async function waitForLine(gw: RunningGateway, text: string): Promise<void> {
  await waitFor(() => gw.child.stdout().includes(text), 5_000, {
    what: `a line with ${JSON.stringify(text)}`,
    detail: () => gw.child.output(),
  });
}

const mentionsLegacyUrl = (gw: RunningGateway) =>
  gw.child
    .stdout()
    .split('\n')
    .filter((l) => l.includes('LEGACY_URL'))
    .map((l) => JSON.parse(l) as { level: number; msg: string; LEGACY_URL: string[] });

test('with no legacy listening the gateway starts and says so in one warning naming LEGACY_URL', async (t) => {
  const legacy = `http://127.0.0.1:${CLOSED_PORT}`;
  const gw = await startGateway({ LEGACY_URL: legacy, LOG_LEVEL: 'info' });
  t.after(() => gw.stop());
  await waitForLine(gw, 'legacy unreachable');
  // A request that fails on the dead legacy afterwards: the warning is a start-up one, not repeated.
  const res = await send(`${gw.url}/api/v1/items`);
  assert.equal(res.status, 502);
  await waitForLine(gw, '"msg":"access"');
  const lines = mentionsLegacyUrl(gw);
  assert.equal(lines.length, 1, gw.child.stdout());
  assert.equal(lines[0].level, 40, 'a warning, not an error');
  assert.deepEqual(lines[0].LEGACY_URL, [legacy]);
  assert.match(lines[0].msg, /LEGACY_URL/);
  assert.ok(lines[0].msg.includes(legacy), lines[0].msg);
  assert.equal((await send(`${gw.url}/health`)).status, 200, 'the gateway serves');
});

test('with legacy listening there is no such warning', async (t) => {
  const upstream = await startCountingUpstream((_req, res) => res.end('ok'));
  t.after(() => upstream.close());
  const gw = await startGateway({ LEGACY_URL: upstream.url, LOG_LEVEL: 'debug' });
  t.after(() => gw.stop());
  // The probe's outcome, at debug: the check is over when it appears.
  await waitForLine(gw, 'legacy reachable at start-up');
  assert.deepEqual(
    mentionsLegacyUrl(gw).filter((l) => l.level >= 40),
    [],
  );
});
