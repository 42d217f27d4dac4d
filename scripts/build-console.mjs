// `node scripts/build-console.mjs <outDir>`: bundles the migration console (console/src, issue 21) with esbuild into
// `<outDir>/console/assets/`, next to the compiled src/console/ module that serves them (it reads
// `join(__dirname, 'assets')` once at boot). scripts/build.mjs runs it for dist/, `npm run pretest` for
// dist-test/src/. Everything the browser runs is in these three files: preact and jsondiffpatch are bundled in
// (no CDN, nothing from another origin; the gateway's CSP allows same-origin scripts and styles only).
//
// Entry points: console/src/signin.ts -> signin.js, console/src/main.tsx -> console.js, console/src/console.css ->
// console.css. Styles come from console.css (and what it @imports), not from `import './x.css'` in TypeScript: a
// script's CSS import would become a second console.css.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const src = join(root, 'console/src');

export async function buildConsole(outDir) {
  const assets = join(outDir, 'console/assets');
  mkdirSync(assets, { recursive: true });
  const common = {
    bundle: true,
    minify: true,
    // Chromium, Firefox and Safari of the last few years: what an operator's laptop runs.
    target: ['es2022', 'chrome109', 'firefox115', 'safari16'],
    outdir: assets,
    logLevel: 'warning',
    legalComments: 'none',
  };
  await esbuild.build({
    ...common,
    entryPoints: [
      { in: join(src, 'signin.ts'), out: 'signin' },
      { in: join(src, 'main.tsx'), out: 'console' },
    ],
    format: 'esm',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: join(root, 'console/tsconfig.json'),
  });
  await esbuild.build({ ...common, entryPoints: [{ in: join(src, 'console.css'), out: 'console' }] });
  return assets;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outDir = process.argv[2];
  if (!outDir) {
    process.stderr.write('usage: node scripts/build-console.mjs <outDir>\n');
    process.exit(2);
  }
  buildConsole(outDir).catch((err) => {
    process.stderr.write(`figway: the console build failed: ${err.message}\n`);
    process.exit(1);
  });
}
