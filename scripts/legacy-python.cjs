'use strict';
// The Python that runs the example legacy app (examples/legacy-flask/) for the tests and the demo: a virtual
// environment of its own, examples/legacy-flask/.venv (git-ignored, and left out of the legacy image's build
// context). Debian and Ubuntu mark their system Python "externally managed" (PEP 668): `pip install` into it is
// refused, so the app's packages go into the venv instead. CommonJS so that both the .mjs scripts (import) and the
// compiled CommonJS tests (require) load this one file.
const { spawnSync } = require('node:child_process');
const { existsSync, rmSync } = require('node:fs');
const { join, relative } = require('node:path');

const LEGACY_APP_DIR = join(__dirname, '..', 'examples', 'legacy-flask');
const LEGACY_VENV = join(LEGACY_APP_DIR, '.venv');
/** The venv's interpreter: run gunicorn as `LEGACY_PYTHON -m gunicorn`. */
const LEGACY_PYTHON = join(LEGACY_VENV, 'bin', 'python');
const REQUIREMENTS = join(LEGACY_APP_DIR, 'requirements.txt');
/** What requirements.txt provides, by import name. */
const IMPORTS = 'import flask, gunicorn, wsproto, flask_session, redis';

function succeeds(cmd, args) {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

function shown(path) {
  return relative(process.cwd(), path) || '.';
}

/**
 * Makes the venv and installs requirements.txt into it when its imports are missing. Returns null when the app can
 * run, else one line saying what failed and what to do. `say` gets a line before each slow step.
 */
function prepareLegacyPython(say = () => {}) {
  if (succeeds(LEGACY_PYTHON, ['-c', IMPORTS])) return null;
  if (!succeeds('python3', ['--version']))
    return 'python3 not found; install it (Debian: apt-get install python3 python3-venv)';
  // A venv without pip is what `python3 -m venv` leaves behind on Debian when python3-venv is missing; a venv
  // whose python is gone (the system Python changed) is no better. Both are made again.
  if (!succeeds(LEGACY_PYTHON, ['-m', 'pip', '--version'])) {
    say(`creating a Python virtual environment in ${shown(LEGACY_VENV)}`);
    rmSync(LEGACY_VENV, { recursive: true, force: true });
    if (
      spawnSync('python3', ['-m', 'venv', LEGACY_VENV], { stdio: 'ignore' }).status !== 0 ||
      !existsSync(LEGACY_PYTHON)
    ) {
      rmSync(LEGACY_VENV, { recursive: true, force: true });
      return `could not create ${shown(LEGACY_VENV)} with python3 -m venv; install it (Debian: apt-get install python3-venv)`;
    }
  }
  say(`installing the Flask example app's Python packages into ${shown(LEGACY_VENV)}`);
  // pip's output is kept, not shown: on failure its last ERROR line goes into the one line returned.
  const pip = spawnSync(LEGACY_PYTHON, ['-m', 'pip', 'install', '-q', '-r', REQUIREMENTS], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (pip.status !== 0 || !succeeds(LEGACY_PYTHON, ['-c', IMPORTS])) {
    const error = `${pip.stdout ?? ''}\n${pip.stderr ?? ''}`
      .split('\n')
      .filter((l) => l.startsWith('ERROR:'))
      .pop();
    const run = `${shown(LEGACY_PYTHON)} -m pip install -r ${shown(REQUIREMENTS)}`;
    return `could not install the Flask example app's Python packages${error ? ` (pip: ${error.slice(7).trim()})` : ''}; run: ${run}`;
  }
  return null;
}

module.exports = { LEGACY_APP_DIR, LEGACY_PYTHON, prepareLegacyPython };
