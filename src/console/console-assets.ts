import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ASSET_NAMES = ['signin.js', 'console.js', 'console.css'] as const;
export type AssetName = (typeof ASSET_NAMES)[number];

/**
 * The console's bundles, built by scripts/build-console.mjs next to this module (`<out>/console/assets/`) and read
 * once at boot: a request never touches the disk, and what is served matches what the instance started with.
 * Missing files (a `tsc` alone, without the bundling step) leave the console off, in words, not the gateway.
 */
export class ConsoleAssets {
  private readonly files = new Map<AssetName, Buffer>();
  readonly missing: string[] = [];

  constructor(dir = join(__dirname, 'assets')) {
    for (const name of ASSET_NAMES) {
      try {
        this.files.set(name, readFileSync(join(dir, name)));
      } catch {
        this.missing.push(name);
      }
    }
  }

  get(name: AssetName): Buffer | undefined {
    return this.files.get(name);
  }
}
