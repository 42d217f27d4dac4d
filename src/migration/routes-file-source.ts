import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '@nestjs/common';
import { ConfigError, loadRoutes, type RouteSpec } from '../config';
import { structuralPart } from './live-state';

const RELOAD_DEBOUNCE_MS = 150;

/**
 * Which entries of a reloaded routes file take effect: a route's run-time fields (weights, rollback, fallback,
 * shadow) apply live; a route added, removed or changed in any other field needs a restart, and keeps its last
 * accepted entry meanwhile. Pure.
 */
export function acceptReload(
  boot: ReadonlyMap<string, RouteSpec>,
  current: ReadonlyMap<string, RouteSpec>,
  next: ReadonlyMap<string, RouteSpec>,
): { accepted: Map<string, RouteSpec>; restart: string[] } {
  const restart: string[] = [];
  const accepted = new Map<string, RouteSpec>();
  for (const [id, booted] of boot) {
    const spec = next.get(id);
    const same = spec !== undefined && structuralPart(spec) === structuralPart(booted);
    if (!spec) restart.push(`${id}: removed`);
    else if (!same) restart.push(`${id}: path, target or options changed`);
    accepted.set(id, same ? spec : current.get(id)!);
  }
  for (const id of next.keys()) if (!boot.has(id)) restart.push(`${id}: added`);
  return { accepted, restart };
}

/**
 * routes.yaml as a source of run-time state: re-read when the file changes (watched here) or on demand
 * (SIGHUP, installed by src/main.ts beside SIGTERM). `specs` holds the entries in force; `onReload` runs after
 * each accepted reload.
 */
export class RoutesFileSource {
  specs: Map<string, RouteSpec>;
  private watcher?: FSWatcher;
  private debounce?: NodeJS.Timeout;

  constructor(
    private readonly file: string,
    private readonly boot: ReadonlyMap<string, RouteSpec>,
    private readonly log: Logger,
    private readonly onReload: (why: string) => void,
  ) {
    this.specs = new Map(boot);
  }

  /** Re-reads the file: run-time fields apply at once; anything else is reported as needing a restart. */
  reload(why: string): boolean {
    let specs: RouteSpec[];
    try {
      specs = loadRoutes(this.file);
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems : [(err as Error).message];
      this.log.warn(`routes file reload refused (${why}), keeping the last good table: ${problems.join('; ')}`);
      return false;
    }
    const { accepted, restart } = acceptReload(this.boot, this.specs, new Map(specs.map((s) => [s.id, s])));
    if (restart.length)
      this.log.warn(`routes file (${why}): needs a restart for: ${restart.join('; ')}; those changes are ignored`);
    this.specs = accepted;
    this.onReload(why);
    return true;
  }

  watch(): void {
    try {
      // The directory, not the file: editors and ConfigMap updates replace the file rather than write it.
      const name = basename(this.file);
      this.watcher = watch(dirname(this.file), (_event, file) => {
        if (file && file !== name && file !== '..data') return;
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => this.reload('file change'), RELOAD_DEBOUNCE_MS);
      });
      this.watcher.unref();
    } catch (err) {
      this.log.warn(`routes file not watched (${(err as Error).message}); reload with SIGHUP`);
    }
  }

  close(): void {
    clearTimeout(this.debounce);
    this.watcher?.close();
  }
}
