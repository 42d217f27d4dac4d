// `npm run build` (always) and `npm start`'s prestart (`--if-stale`): compiles src/ into dist/ without ever
// leaving a half-written dist/ behind. tsc writes into a fresh directory of its own, which then replaces dist/ by
// rename, so an instance already running from this checkout, or a second `npm start` at the same moment, never
// sees dist/ emptied or half-built (two starts used to race on `rm -rf dist`: ENOTEMPTY, "Cannot find module").
// `--if-stale` skips the build when dist/ was compiled from exactly the sources there now (a content hash, not
// mtimes, so a checkout or a copy does not trigger rebuilds). The migration console's browser files are bundled
// into the same fresh directory (scripts/build-console.mjs), so dist/ never has a gateway without its console.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildConsole } from './build-console.mjs';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const STAMP = '.sources-hash';

function sourceFiles(dir, out = [], keep = (name) => name.endsWith('.ts') && !name.endsWith('.spec.ts')) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(p, out, keep);
    else if (keep(entry.name)) out.push(p);
  }
  return out;
}

/** What the compiled output depends on: the sources, the compiler settings and the installed type packages. */
function sourcesHash() {
  const files = [
    ...sourceFiles(join(root, 'src')),
    // Every file of the console (TypeScript, TSX, CSS, its tsconfig.json): esbuild bundles what they import.
    ...sourceFiles(join(root, 'console'), [], () => true),
    ...['tsconfig.json', 'tsconfig.build.json', 'package-lock.json', 'scripts/build-console.mjs'].map((f) =>
      join(root, f),
    ),
  ].sort();
  const h = createHash('sha256');
  for (const f of files)
    h.update(relative(root, f))
      .update('\0')
      .update(existsSync(f) ? readFileSync(f) : '')
      .update('\0');
  return h.digest('hex');
}

const hash = sourcesHash();
if (process.argv.includes('--if-stale')) {
  const built = existsSync(join(dist, STAMP)) ? readFileSync(join(dist, STAMP), 'utf8') : '';
  if (built === hash && existsSync(join(dist, 'main.js'))) process.exit(0);
  process.stderr.write(
    existsSync(dist) ? 'figway: sources changed since the last build; building dist/\n' : 'figway: building dist/\n',
  );
}

const fresh = join(root, `.dist-${process.pid}-${Date.now()}`);
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', fresh], {
  stdio: 'inherit',
});
if (result.status !== 0) {
  rmSync(fresh, { recursive: true, force: true });
  process.stderr.write('figway: the TypeScript build failed (see above); dist/ is unchanged\n');
  process.exit(1);
}
try {
  await buildConsole(fresh);
} catch (err) {
  rmSync(fresh, { recursive: true, force: true });
  process.stderr.write(`figway: the console build failed (${err.message}); dist/ is unchanged\n`);
  process.exit(1);
}
writeFileSync(join(fresh, STAMP), hash);
// Two renames: the old tree moves aside whole, the new one takes its name; only then is the old one deleted.
const old = `${fresh}-old`;
if (existsSync(dist)) renameSync(dist, old);
try {
  renameSync(fresh, dist);
} catch (err) {
  // Another build took the name between the two renames: its output is as good as ours.
  if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
  rmSync(fresh, { recursive: true, force: true });
}
rmSync(old, { recursive: true, force: true });
