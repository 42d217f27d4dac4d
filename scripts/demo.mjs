// `npm run demo`: the Flask example app under gunicorn on :5000 and the gateway on :8080 in front of it.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { LEGACY_APP_DIR, LEGACY_PYTHON, prepareLegacyPython } from './legacy-python.cjs';

const root = new URL('..', import.meta.url).pathname;
// The Flask app runs from its own venv (examples/legacy-flask/.venv): PEP 668 systems refuse system-wide pip installs.
const problem = prepareLegacyPython((line) => console.log(`demo: ${line}`));
if (problem) {
  console.error(`demo: ${problem}`);
  process.exit(1);
}
const legacyPort = process.env.LEGACY_PORT ?? '5000';
const children = [
  spawn(LEGACY_PYTHON, ['-m', 'gunicorn', '-c', 'gunicorn.conf.py', 'app:app'], {
    cwd: LEGACY_APP_DIR,
    stdio: 'inherit',
    env: { ...process.env, PORT: legacyPort },
  }),
  spawn(process.execPath, [join(root, 'dist/main.js')], {
    cwd: root,
    stdio: 'inherit',
    env: { LEGACY_URL: `http://127.0.0.1:${legacyPort}`, ...process.env },
  }),
];
const stop = () => children.forEach((c) => c.kill('SIGTERM'));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
children.forEach((c) => c.on('exit', () => stop()));
console.log(`demo: legacy Flask on :${legacyPort}, Figway on :${process.env.PORT ?? 8080}
  curl -i localhost:8080/api/v1/items
  curl -N localhost:8080/api/v1/events
  curl -i localhost:8080/api/v2/meta`);
