import { join } from 'node:path';
import { ROOT } from './paths';

/**
 * The example app's venv (examples/legacy-flask/.venv), named by the one helper the test runner and the demo use too
 * (scripts/legacy-python.cjs); test/run.mjs makes and fills it before any test starts. Specs that take fixtures from
 * the real Python libraries (itsdangerous, Flask's tagged JSON, Flask-Session's msgspec) run this interpreter: the
 * system Python may lack them, and on PEP 668 systems cannot be given them.
 * Loaded by path at run time: it is plain JavaScript outside the compiled tree.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a .cjs file outside the compiled tree
export const { LEGACY_APP_DIR, LEGACY_PYTHON } = require(join(ROOT, 'scripts/legacy-python.cjs')) as {
  LEGACY_APP_DIR: string;
  LEGACY_PYTHON: string;
};
