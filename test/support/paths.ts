import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error('package.json not found above ' + __dirname);
}

/** The repository root, wherever the compiled tests run from. */
export const ROOT = findRoot();
/** The compiled gateway entry point built by `npm test`'s pretest step. */
export const GATEWAY_MAIN = join(ROOT, 'dist-test/src/main.js');
/** The gateway with the test-only `module:flaky` registered (test/support/gateway-with-flaky-module.ts). */
export const FLAKY_GATEWAY_MAIN = join(ROOT, 'dist-test/test/support/gateway-with-flaky-module.js');
