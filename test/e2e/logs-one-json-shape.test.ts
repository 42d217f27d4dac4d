import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCountingUpstream } from '../support/counting-upstream';
import { startGateway } from '../support/gateway';
import { send } from '../support/http';
import { waitFor } from '../support/wait';

/** Polls until `pred` holds for what the process wrote to stdout, which trails the events that cause it. */
async function waitForStdout(read: () => string, pred: (out: string) => boolean, timeoutMs = 5_000): Promise<string> {
  await waitFor(() => pred(read()), timeoutMs, { what: `stdout to match ${pred.toString()}`, detail: read });
  return read();
}

test('every stdout line is one pino JSON object with the same core fields, whether Nest or Fastify wrote it', async (t) => {
  const upstream = await startCountingUpstream((_req, res) => res.end('ok'));
  t.after(() => upstream.close());
  const gw = await startGateway({ LEGACY_URL: upstream.url, LOG_LEVEL: 'info' });
  t.after(() => gw.stop());
  assert.equal((await send(`${gw.url}/api/v1/items`)).status, 200);
  const out = await waitForStdout(gw.child.stdout, (o) => o.includes('"msg":"access"'));

  const lines = out.split('\n').filter(Boolean);
  const entries = lines.map((l) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      assert.fail(`not a JSON line: ${l}`);
    }
  });
  for (const e of entries) {
    assert.equal(typeof e.level, 'number', JSON.stringify(e));
    assert.equal(typeof e.time, 'number', JSON.stringify(e));
    assert.equal(typeof e.msg, 'string', JSON.stringify(e));
    assert.equal(e.pid, gw.child.proc.pid, JSON.stringify(e));
    assert.equal(typeof e.hostname, 'string', JSON.stringify(e));
    // Nest's ConsoleLogger JSON shape, which must not come back.
    assert.equal(e.message, undefined, JSON.stringify(e));
    assert.equal(e.timestamp, undefined, JSON.stringify(e));
  }
  // Both writers are in there: a Nest module's Logger (with its context) and Fastify's own line.
  assert.ok(
    entries.some((e) => e.context === 'Store' && e.level === 40),
    `a Nest warning with its context:\n${out}`,
  );
  assert.ok(
    entries.some((e) => typeof e.msg === 'string' && e.msg.startsWith('Server listening at')),
    `Fastify's listening line:\n${out}`,
  );
  assert.ok(entries.some((e) => e.msg === 'access' && e.status === 200));
});
