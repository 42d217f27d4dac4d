// `npm run demo`: the Flask example app under gunicorn on :5000 (LEGACY_PORT) and the gateway on :8080 (PORT) in
// front of it. The "try this" text comes once both accept connections; when either cannot start (port taken,
// Python packages missing, a process exiting) the demo stops what it started and exits 1 with one line saying why.
// DEMO_GATEWAY_ENTRY names the gateway's compiled entry (default dist/main.js, which `npm run demo` builds).
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { resolve } from 'node:path';
import { LEGACY_APP_DIR, LEGACY_PYTHON, prepareLegacyPython } from './legacy-python.cjs';

const root = new URL('..', import.meta.url).pathname;
const START_TIMEOUT_MS = 30_000;
const children = [];
let stopping = false;

const running = (c) => c.proc.exitCode === null && c.proc.signalCode === null;

/**
 * Stops what the demo started (SIGTERM, SIGKILL after 5 s), then exits: 0 for Ctrl+C, 1 with `line` on stderr for
 * a failure. Nothing else is printed on the way out, so a failure is that one line.
 */
function finish(line) {
  if (stopping) return;
  stopping = true;
  if (line) console.error(`demo: ${line}`);
  const code = line ? 1 : 0;
  const live = children.filter(running);
  if (live.length === 0) process.exit(code);
  for (const c of live) c.proc.kill('SIGTERM');
  setTimeout(() => live.forEach((c) => c.proc.kill('SIGKILL')), 5_000).unref();
  Promise.all(live.map((c) => c.exited)).then(() => process.exit(code));
}
process.on('SIGINT', () => finish());
process.on('SIGTERM', () => finish());

function port(name, fallback) {
  const raw = process.env[name] ?? String(fallback);
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 65535) finish(`${name} must be a port number (1-65535), not "${raw}"`);
  return n;
}

/** Whether a listener could bind there now: names a taken port before anything starts. */
function portFree(port, host) {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', (err) => done(err.code));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => done(null)));
  });
}

function accepts(port, host) {
  return new Promise((done) => {
    const s = connect({ port, host });
    s.once('connect', () => (s.destroy(), done(true)));
    s.once('error', () => (s.destroy(), done(false)));
  });
}

/**
 * Starts a process whose output is held back until it is up: a failure then shows as one line (the last thing it
 * wrote: a traceback's exception, the gateway's fatal log), not a screenful. Once up, its output flows through.
 */
function start(name, cmd, args, opts) {
  const proc = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  const child = { name, proc, held: '', up: false, exited: new Promise((r) => proc.once('exit', r)) };
  const relay = (to) => (chunk) => {
    if (child.up) to.write(chunk);
    else child.held = (child.held + chunk).slice(-16_384);
  };
  proc.stdout.on('data', relay(process.stdout));
  proc.stderr.on('data', relay(process.stderr));
  proc.once('error', (err) => finish(`could not start the ${name}: ${err.message}`));
  children.push(child);
  return child;
}

/**
 * What a process said last, on one line: a Python traceback's exception line if there is one (gunicorn's closing
 * "Reason: Worker failed to boot." after it says less), else its last line; a JSON log line gives its message.
 */
function lastWords(child) {
  const all = child.held
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const line = all.findLast((l) => /^[\w.]+(Error|Exception): /.test(l)) ?? all.at(-1) ?? '';
  let text = line;
  try {
    text = JSON.parse(line).message ?? line;
  } catch {
    // not JSON: the line itself is the message
  }
  return String(text).replace(/\s+/g, ' ').slice(0, 300);
}

async function waitUp(child, port, host) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!stopping && !(await accepts(port, host))) {
    if (!running(child)) {
      const said = lastWords(child);
      return finish(
        `the ${child.name} exited (${child.proc.exitCode ?? child.proc.signalCode}) before listening on :${port}${said ? `: ${said}` : ''}`,
      );
    }
    if (Date.now() > deadline)
      return finish(`the ${child.name} did not listen on :${port} within ${START_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const legacyPort = port('LEGACY_PORT', 5000);
const gatewayPort = port('PORT', 8080);
const gatewayHost = process.env.HOST ?? '0.0.0.0';
const gatewayEntry = resolve(root, process.env.DEMO_GATEWAY_ENTRY ?? 'dist/main.js');

const problem = prepareLegacyPython((line) => console.log(`demo: ${line}`));
if (problem) finish(problem);
for (const [port, host, name] of [
  [legacyPort, '127.0.0.1', 'LEGACY_PORT'],
  [gatewayPort, gatewayHost, 'PORT'],
]) {
  const code = await portFree(port, host);
  if (code === 'EADDRINUSE')
    finish(`port ${port} is already in use; stop what listens there or set ${name} to another port`);
  else if (code) finish(`cannot listen on ${host}:${port} (${code}); set ${name} to another port`);
}

const legacy = start('legacy Flask app', LEGACY_PYTHON, ['-m', 'gunicorn', '-c', 'gunicorn.conf.py', 'app:app'], {
  cwd: LEGACY_APP_DIR,
  env: { ...process.env, PORT: String(legacyPort) },
});
const gateway = start('gateway', process.execPath, [gatewayEntry], {
  cwd: root,
  env: { LEGACY_URL: `http://127.0.0.1:${legacyPort}`, ...process.env, PORT: String(gatewayPort) },
});
// A gateway on 0.0.0.0 (the default) or :: is reached on loopback.
const probeHost = gatewayHost === '0.0.0.0' || gatewayHost === '::' ? '127.0.0.1' : gatewayHost;
await Promise.all([waitUp(legacy, legacyPort, '127.0.0.1'), waitUp(gateway, gatewayPort, probeHost)]);

if (!stopping) {
  // Up: from here either process ending takes the demo down with it.
  for (const child of children) {
    child.up = true;
    child.proc.once('exit', (code, signal) => finish(`the ${child.name} exited (${code ?? signal}); the demo stopped`));
  }
  const g = `localhost:${gatewayPort}`;
  console.log(`demo: legacy Flask on :${legacyPort}, Figway on :${gatewayPort}. Try:
  curl -i ${g}/api/v1/items      # legacy, through the gateway
  curl -N ${g}/api/v1/events     # legacy SSE, streamed unbuffered
  curl -i ${g}/api/v2/meta       # a v2 module inside the gateway
  http://${g}/chat  in a browser: the v2 chat; sign in as alice / wonderland
Ctrl+C stops both.`);
}
