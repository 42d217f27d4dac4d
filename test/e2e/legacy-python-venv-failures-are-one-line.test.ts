import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ROOT } from '../support/paths';

// The Flask app's packages go into examples/legacy-flask/.venv, made with `python3 -m venv`: on Debian and Ubuntu
// the system Python refuses pip installs (PEP 668). When that cannot be done, `npm test` and `npm run demo` stop
// with one line naming what to install or run. A stand-in python3 plays the machine that fails, in a copy of the
// files these scripts read, so neither this checkout's venv nor the network is touched.

const trees: string[] = [];
after(() => trees.forEach((t) => rmSync(t, { recursive: true, force: true })));

/** A checkout with just the scripts, and a bin/ whose python3 behaves as `script` says. */
function machine(python3: string): { tree: string; bin: string } {
  const tree = mkdtempSync(join(tmpdir(), 'figway-venv-'));
  trees.push(tree);
  for (const p of [
    'test/run.mjs',
    'scripts/demo.mjs',
    'scripts/legacy-python.cjs',
    'examples/legacy-flask/requirements.txt',
  ]) {
    cpSync(join(ROOT, p), join(tree, p), { recursive: true });
  }
  const bin = join(tree, 'fake-bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'python3'), `#!/bin/sh\n${python3}\n`);
  chmodSync(join(bin, 'python3'), 0o755);
  return { tree, bin };
}

function run(tree: string, bin: string, script: string) {
  const r = spawnSync(process.execPath, [script], {
    cwd: tree,
    encoding: 'utf8',
    env: { PATH: `${bin}:${process.env.PATH}`, HOME: tree },
    timeout: 60_000,
  });
  return { status: r.status, lines: `${r.stderr}`.split('\n').filter(Boolean), stdout: r.stdout };
}

// Debian without python3-venv: `python3 -m venv` leaves a half-made directory and fails (no ensurepip).
const NO_VENV =
  'case "$*" in --version) echo Python 3.11.2 ;; "-m venv "*) mkdir -p "$3/bin"; echo "ensurepip is not available" >&2; exit 1 ;; *) exit 1 ;; esac';

// venv works, but pip cannot reach any index that has the packages.
const NO_INDEX = `case "$*" in --version) echo Python 3.11.2 ;; "-m venv "*) mkdir -p "$3/bin"; cat > "$3/bin/python" <<'PY'
#!/bin/sh
case "$*" in "-m pip --version") exit 0 ;; "-m pip install"*) echo "ERROR: No matching distribution found for flask<4,>=3.1" >&2; exit 1 ;; *) exit 1 ;; esac
PY
chmod +x "$3/bin/python" ;; *) exit 1 ;; esac`;

test('without python3-venv, the test runner and the demo each stop with one line saying to install it', () => {
  const { tree, bin } = machine(NO_VENV);
  for (const [script, prefix] of [
    ['test/run.mjs', 'figway tests: '],
    ['scripts/demo.mjs', 'demo: '],
  ]) {
    const r = run(tree, bin, script);
    assert.equal(r.status, 1, script);
    assert.equal(r.lines.length, 1, `${script}: ${JSON.stringify(r.lines)}`);
    assert.ok(r.lines[0].startsWith(prefix), r.lines[0]);
    assert.match(r.lines[0], /could not create examples\/legacy-flask\/\.venv .*apt-get install python3-venv/);
    assert.ok(!existsSync(join(tree, 'examples/legacy-flask/.venv')), 'a half-made venv was left behind');
  }
});

test("when pip cannot install the packages into the venv, one line gives pip's reason and the command to run", () => {
  const { tree, bin } = machine(NO_INDEX);
  for (const [script, prefix] of [
    ['test/run.mjs', 'figway tests: '],
    ['scripts/demo.mjs', 'demo: '],
  ]) {
    const r = run(tree, bin, script);
    assert.equal(r.status, 1, script);
    assert.equal(r.lines.length, 1, `${script}: ${JSON.stringify(r.lines)}`);
    assert.ok(r.lines[0].startsWith(prefix), r.lines[0]);
    assert.match(
      r.lines[0],
      /\(pip: No matching distribution found for flask<4,>=3\.1\); run: examples\/legacy-flask\/\.venv\/bin\/python -m pip install -r examples\/legacy-flask\/requirements\.txt$/,
    );
  }
});
