import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startGateway } from '../support/gateway';
import { CLOSED_PORT } from '../support/ports';
import { waitFor } from '../support/wait';

async function startUpLines(level: string, t: { after(fn: () => unknown): void }): Promise<string[]> {
  const gw = await startGateway({ LEGACY_URL: `http://127.0.0.1:${CLOSED_PORT}`, LOG_LEVEL: level });
  t.after(() => gw.stop());
  // The last start-up line: Nest's route mapping is over by then.
  await waitFor(() => gw.child.stdout().includes('figway listening'), 5_000, {
    what: "the 'figway listening' line",
    detail: () => gw.child.output(),
  });
  return gw.child.stdout().split('\n').filter(Boolean);
}

test("Nest's route-mapping lines are left out at LOG_LEVEL=info and written at debug", async (t) => {
  const info = await startUpLines('info', t);
  assert.ok(
    info.some((l) => l.includes('effective configuration')),
    info.join('\n'),
  );
  assert.deepEqual(
    info.filter((l) => l.includes('Mapped {') || l.includes('dependencies initialized')),
    [],
  );

  const debug = await startUpLines('debug', t);
  const mapped = debug.filter((l) => l.includes('Mapped {')).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(mapped.length >= 5, debug.join('\n'));
  for (const m of mapped) assert.deepEqual([m.level, m.context], [20, 'RouterExplorer']);
});
