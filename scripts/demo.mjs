// `npm run demo`: the Flask example app under gunicorn on :5000 and the gateway on :8080 in front of it.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const flaskDir = join(root, 'examples/legacy-flask');
const check = ['-c', 'import flask, gunicorn, wsproto'];
if (spawnSync('python3', check).status !== 0) {
  const pip = spawnSync('python3', ['-m', 'pip', 'install', '-q', '-r', join(flaskDir, 'requirements.txt')], { stdio: 'inherit' });
  if (pip.status !== 0) {
    console.error('demo: could not install the Flask app; run: python3 -m pip install -r examples/legacy-flask/requirements.txt');
    process.exit(1);
  }
}
const legacyPort = process.env.LEGACY_PORT ?? '5000';
const children = [
  spawn('python3', ['-m', 'gunicorn', '-c', 'gunicorn.conf.py', 'app:app'], {
    cwd: flaskDir,
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
