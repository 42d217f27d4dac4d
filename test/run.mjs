// `npm test`: checks what the tests need beyond npm (installing the Flask app's Python deps into its venv if missing),
// then runs every compiled unit spec and e2e test with node's test runner.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { prepareLegacyPython } from '../scripts/legacy-python.cjs';

const root = new URL('..', import.meta.url).pathname;
const compiled = join(root, 'dist-test');

function fail(line) {
  process.stderr.write(`figway tests: ${line}\n`);
  process.exit(1);
}

function has(cmd, args = ['--version']) {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

if (!has('redis-server')) fail('redis-server not found; install it (Debian: apt-get install redis-server)');
if (!has('python3')) fail('python3 not found; install it (Debian: apt-get install python3 python3-venv)');
if (!has('promtool')) fail('promtool not found; install it (Debian: apt-get install prometheus)');
// Browser tests (CSP, the chat page) drive Debian's Chromium through playwright-core.
if (!existsSync('/usr/bin/chromium'))
  fail('/usr/bin/chromium not found; install it (Debian: apt-get install chromium)');
// The Flask app runs from a venv of its own (examples/legacy-flask/.venv): PEP 668 systems refuse pip installs
// into the system Python. Made, and filled from requirements.txt, when its imports are missing.
const python = prepareLegacyPython((line) => process.stdout.write(`figway tests: ${line}\n`));
if (python) fail(python);

function collect(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (/\.(test|spec)\.js$/.test(name)) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect(compiled)
  .filter((f) => !f.includes(`${join(compiled, 'bench')}`))
  // Matched on the path inside dist-test: the checkout's own path (a worktree named wt-chat, say) must not match.
  .filter((f) => filters.length === 0 || filters.some((x) => relative(compiled, f).includes(x.replace(/\.ts$/, ''))))
  .sort();
if (files.length === 0)
  fail(`no compiled tests under ${compiled}${filters.length ? ' matching ' + filters.join(' ') : ''}`);

const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=120000', ...files], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(result.status ?? 1);
