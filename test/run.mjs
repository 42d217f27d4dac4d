// `npm test`: checks what the tests need beyond npm (installing the Flask app's Python deps if missing),
// then runs every compiled unit spec and e2e test with node's test runner.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

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
if (!has('python3')) fail('python3 not found; install it (Debian: apt-get install python3 python3-pip)');
if (!has('promtool')) fail('promtool not found; install it (Debian: apt-get install prometheus)');
// Browser tests (CSP, the chat page) drive Debian's Chromium through playwright-core.
if (!existsSync('/usr/bin/chromium')) fail('/usr/bin/chromium not found; install it (Debian: apt-get install chromium)');
const pyCheck = ['-c', 'import flask, gunicorn, wsproto, flask_session, redis'];
if (!has('python3', pyCheck)) {
  const req = join(root, 'examples/legacy-flask/requirements.txt');
  process.stderr.write('figway tests: installing the Flask example app\'s Python packages\n');
  const pip = spawnSync('python3', ['-m', 'pip', 'install', '-q', '-r', req], { stdio: 'inherit' });
  if (pip.status !== 0 || !has('python3', pyCheck)) {
    fail(`could not install the Flask example's Python packages; run: python3 -m pip install -r ${relative(process.cwd(), req)}`);
  }
}

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
if (files.length === 0) fail(`no compiled tests under ${compiled}${filters.length ? ' matching ' + filters.join(' ') : ''}`);

const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=120000', ...files],
  { stdio: 'inherit', cwd: root },
);
process.exit(result.status ?? 1);
