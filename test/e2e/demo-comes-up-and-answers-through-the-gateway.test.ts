import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../support/migration';
import { send } from '../support/http';
import { runDemo } from '../support/demo';
import { freePort } from '../support/ports';

// The demo prints its "try this" text once both processes accept connections, so the first thing it suggests
// works at once; SIGTERM (Ctrl+C's twin) stops both and exits 0.
test('the demo comes up on the ports it is given and /api/v1/items answers through the gateway', async (t) => {
  const [port, legacyPort] = [await freePort(), await freePort()];
  const demo = runDemo({ PORT: String(port), LEGACY_PORT: String(legacyPort) });
  t.after(() => demo.proc.kill('SIGKILL'));
  await waitFor(() => /Try:/.test(demo.stdout()) || demo.proc.exitCode !== null, 60_000);
  assert.match(
    demo.stdout(),
    new RegExp(`legacy Flask on :${legacyPort}, Figway on :${port}`),
    `stdout: ${demo.stdout()} stderr: ${demo.stderr()}`,
  );
  assert.match(demo.stdout(), new RegExp(`curl -i localhost:${port}/api/v1/items`));

  // No waiting or retrying here: "Try:" means both listen.
  const items = await send(`http://127.0.0.1:${port}/api/v1/items`);
  assert.equal(items.status, 200);
  assert.ok(Array.isArray(items.json().items), `body: ${items.body}`);
  assert.match(String(items.headers['x-request-id']), /./, 'the answer did not come through the gateway');

  demo.proc.kill('SIGTERM');
  assert.equal(await demo.exited, 0);
  assert.doesNotMatch(demo.stderr(), /^demo:/m, 'Ctrl+C is not a failure');
});
