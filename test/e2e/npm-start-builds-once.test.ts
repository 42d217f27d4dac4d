import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { send } from '../support/http';
import { ROOT } from '../support/paths';
import { CLOSED_PORT, freePort, waitForPort } from '../support/ports';

// `npm start` on a checkout that another instance already runs from must not wipe and rebuild dist/ under it: two
// starts used to race on `rm -rf dist` (ENOTEMPTY, "Cannot find module dist/main.js"). The first start of a
// fresh checkout builds; later starts from unchanged sources run the build that is there.

let checkout: string;
const running: ChildProcess[] = [];

before(() => {
  // A fresh copy of what a clone holds (no dist/), sharing this checkout's installed node_modules.
  checkout = mkdtempSync(join(tmpdir(), 'figway-checkout-'));
  for (const p of [
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'scripts',
    'src',
    'console',
    'config',
  ]) {
    cpSync(join(ROOT, p), join(checkout, p), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'));
});

after(() => {
  // npm runs the gateway in a shell of its own: the whole process group goes.
  for (const c of running) if (c.exitCode === null && c.pid) process.kill(-c.pid, 'SIGKILL');
  rmSync(checkout, { recursive: true, force: true });
});

async function npmStart(): Promise<{ port: number; output: () => string }> {
  const port = await freePort();
  const child = spawn('npm', ['start'], {
    cwd: checkout,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      HOST: '127.0.0.1',
      LEGACY_URL: `http://127.0.0.1:${CLOSED_PORT}`,
      LOG_LEVEL: 'warn',
    },
  });
  running.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await waitForPort(port, 100_000, () => child.exitCode === null).catch((err) => {
    throw new Error(`${err.message}\n${out}`);
  });
  return { port, output: () => out };
}

test('a second npm start from the same checkout runs the existing build, leaving the first instance serving', async () => {
  const first = await npmStart();
  assert.match(first.output(), /building dist\//, 'the first start of a fresh checkout builds');
  const built = statSync(join(checkout, 'dist/main.js'));

  const second = await npmStart();
  assert.doesNotMatch(second.output(), /building dist\//);
  const now = statSync(join(checkout, 'dist/main.js'));
  assert.equal(now.ino, built.ino, 'dist/main.js was rewritten by the second start');
  assert.equal(now.mtimeMs, built.mtimeMs);
  for (const { port } of [first, second]) assert.equal((await send(`http://127.0.0.1:${port}/health`)).status, 200);
});

test('a start after the sources changed builds again, by replacing dist/ whole', async () => {
  const before = statSync(join(checkout, 'dist/main.js'));
  writeFileSync(join(checkout, 'src/build-marker.ts'), 'export const BUILD_MARKER = 1;\n');
  const third = await npmStart();
  assert.match(third.output(), /sources changed since the last build; building dist\//);
  assert.notEqual(statSync(join(checkout, 'dist/build-marker.js')).size, 0);
  assert.notEqual(statSync(join(checkout, 'dist/main.js')).ino, before.ino);
  assert.equal((await send(`http://127.0.0.1:${third.port}/health`)).status, 200);
});
