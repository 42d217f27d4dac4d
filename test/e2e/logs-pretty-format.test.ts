import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startGateway } from '../support/gateway';
import { CLOSED_PORT } from '../support/ports';
import { waitFor } from '../support/wait';

test('LOG_FORMAT=pretty writes human lines (time, level name, message), not JSON', async (t) => {
  const gw = await startGateway({
    LEGACY_URL: `http://127.0.0.1:${CLOSED_PORT}`,
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'pretty',
  });
  t.after(() => gw.stop());
  await waitFor(() => gw.child.stdout().includes('figway listening'), 5_000, {
    what: "the 'figway listening' line",
    detail: () => gw.child.output(),
  });
  const lines = gw.child.stdout().split('\n').filter(Boolean);
  const parsesAsJson = (l: string) => {
    try {
      JSON.parse(l);
      return true;
    } catch {
      return false;
    }
  };
  assert.ok(!lines.some((l) => l.startsWith('{') && parsesAsJson(l)), lines.join('\n'));
  assert.ok(
    lines.some((l) => /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: figway listening$/.test(l)),
    lines.join('\n'),
  );
  // Nest's lines go through the same formatter, their context as a field underneath.
  assert.ok(
    lines.some((l) => /^\[[\d:.]+\] WARN: DATA_ENCRYPTION_KEY is unset/.test(l)),
    lines.join('\n'),
  );
});
