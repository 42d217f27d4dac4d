import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import { lines, runDemo } from '../support/demo';
import { freePort } from '../support/ports';

// A port already in use (another demo, a local Flask, anything) stops the demo before it starts anything, with
// exit 1 and one line naming the port and the variable that moves it; no "try this" text.

let squatter: Server;
let taken: number;

before(async () => {
  squatter = createServer((s) => s.destroy());
  squatter.listen(0, '127.0.0.1');
  await once(squatter, 'listening');
  taken = (squatter.address() as { port: number }).port;
});
after(() => squatter?.close());

for (const [name, other] of [
  ['PORT', 'LEGACY_PORT'],
  ['LEGACY_PORT', 'PORT'],
]) {
  test(`${name} taken: exit 1 and one line naming port and variable`, async () => {
    const demo = runDemo({ [name]: String(taken), [other]: String(await freePort()) });
    const timer = setTimeout(() => demo.proc.kill('SIGKILL'), 60_000);
    const code = await demo.exited;
    clearTimeout(timer);
    assert.equal(code, 1, `exit code; stdout: ${demo.stdout()} stderr: ${demo.stderr()}`);
    assert.deepEqual(lines(demo.stderr()), [
      `demo: port ${taken} is already in use; stop what listens there or set ${name} to another port`,
    ]);
    assert.doesNotMatch(demo.stdout(), /Try:|curl/);
  });
}
