import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { lines, runDemo } from '../support/demo';
import { freePort } from '../support/ports';

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => (s.destroy(), resolve(false)));
  });
}

// A gateway that stops at start-up (here a config it refuses) used to leave the demo exiting 0 after the gateway's
// whole error output. Now: exit 1, one line with the gateway's own reason, and the legacy app it started stopped.
test('a gateway that exits at start-up fails the demo with one line, and the legacy app is stopped', async () => {
  const legacyPort = await freePort();
  const demo = runDemo({ PORT: String(await freePort()), LEGACY_PORT: String(legacyPort), RATE_LIMIT: 'lots' });
  const timer = setTimeout(() => demo.proc.kill('SIGKILL'), 60_000);
  const code = await demo.exited;
  clearTimeout(timer);
  assert.equal(code, 1, `exit code; stdout: ${demo.stdout()} stderr: ${demo.stderr()}`);
  const out = lines(demo.stderr());
  assert.equal(out.length, 1, `one line: ${JSON.stringify(out)}`);
  assert.match(out[0], /^demo: the gateway exited \(1\) before listening on :\d+: .*RATE_LIMIT/);
  assert.doesNotMatch(demo.stdout(), /Try:|curl/);
  assert.equal(await accepts(legacyPort), false, 'the legacy app the demo started is still listening');
});
