import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Logger } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { Gauge } from 'prom-client';
import { ConfigError, loadRoutes, redisTargetName, type GatewayConfig, type RouteSpec } from '../config';
import { GatewayError } from '../errors/gateway-error';
import type { SideSteering } from '../proxy/proxy-routes';
import type { RouteTable } from '../routing';
import { createFlagBus, type FlagBus } from '../store/flag-bus';
import type { KeyValueStore } from '../store/key-value-store';
import { STORE_TIMEOUTS } from '../store/redis-client';
import type { GatewayMetrics } from '../telemetry/metrics';
import { CircuitBreaker } from './breaker';
import {
  breakerOptions,
  fallbackStatuses,
  shadowSettings,
  structuralPart,
  type LiveFlags,
  type RouteLive,
} from './live-state';
import {
  emptyOverrides,
  overridesSchema,
  patched,
  type FlagsPatch,
  type Overrides,
  type RoutePatch,
} from './overrides';
import { compileTrust } from '../proxy/client-address';
import type { ForwarderBuilder } from '../proxy/proxy-routes';
import type { CompiledRoute } from '../routing';
import { moduleSides, proxiedSides, sideRoutes, unclaimedModule, type ShadowWiring } from './route-sides';
import { httpTarget, injectTarget, ShadowRunner } from './shadow';

export const FLAGS_KEY = 'figway:flags';
const CHANNEL = 'figway:flags';
/** Every key the gateway writes has a TTL; overrides are rewritten on each change, so a year is "until changed". */
const FLAGS_TTL_MS = 365 * 24 * 3600 * 1000;
const RELOAD_DEBOUNCE_MS = 150;

type Source = 'env' | 'admin' | 'file';

/**
 * The migration controls' state and its sources, by precedence: env (what an SRE forces: ROUTE_ALL_TO_LEGACY=true,
 * CACHE_ENABLED=false cannot be undone at run time) > admin overrides (persisted in the store, spread by pub/sub)
 * > routes.yaml (reloaded on change or SIGHUP). The effective values live in plain objects the request path reads.
 */
export class MigrationControl {
  readonly flags: LiveFlags;
  readonly routes = new Map<string, RouteLive>();
  private readonly bootSpecs: Map<string, RouteSpec>;
  private fileSpecs: Map<string, RouteSpec>;
  private overrides: Overrides = emptyOverrides();
  private read = false;
  private unreadAtStart = false;
  private table?: RouteTable;
  private bus?: FlagBus;
  private watcher?: FSWatcher;
  private debounce?: NodeJS.Timeout;
  private readonly onHup = () => this.reloadFile('SIGHUP');
  private readonly log = new Logger('Migration');
  private readonly breakerGauge: Gauge<'route'>;
  readonly shadow: ShadowRunner;

  constructor(
    private readonly config: GatewayConfig,
    private readonly store: KeyValueStore,
    private readonly metrics: GatewayMetrics,
  ) {
    this.flags = { routeAllToLegacy: config.routeAllToLegacy, cacheEnabled: config.cacheEnabled };
    this.bootSpecs = new Map(config.routes.map((r) => [r.id, r]));
    this.fileSpecs = new Map(this.bootSpecs);
    this.breakerGauge = new Gauge({
      name: 'gateway_breaker_open',
      help: "New-side circuit breakers, by route id: 1 open (traffic goes to legacy), 0 closed; this instance's view",
      labelNames: ['route'] as const,
      registers: [metrics.registry],
    });
    this.shadow = new ShadowRunner(metrics.registry, metrics.shadowDiffs, this.log);
    for (const spec of config.routes) {
      if (spec.target === 'legacy') continue;
      this.routes.set(spec.id, {
        id: spec.id,
        newPercent: 100,
        rollback: false,
        served: { legacy: 0, new: 0, fallback: 0 },
      });
      // A reload may give any of these routes `shadow:`.
      this.shadow.expect(spec.id);
    }
    this.apply();
  }

  /** Whether `figway:flags` has been read from the store once since start (readiness waits for it: src/health). */
  get overridesRead(): boolean {
    return this.read;
  }

  /** The proxy's side-steering hooks; built once at boot. */
  steering(fastify: FastifyInstance, table: RouteTable): SideSteering {
    this.table = table;
    const trust = compileTrust(this.config.trustProxy);
    // Every route that can change side can be given `shadow:` by a reload: its copies are ready from boot.
    const shadowFor = (route: CompiledRoute, build: ForwarderBuilder): ShadowWiring => {
      const sides = sideRoutes(route, this.bootSpecs.get(route.id)!);
      return {
        runner: this.shadow,
        legacy: httpTarget(build.legacy, sides.legacy, trust),
        fresh:
          route.target.kind === 'module'
            ? injectTarget(fastify, this.shadow.token)
            : httpTarget(build.pool(sides.fresh), sides.fresh, trust),
      };
    };
    return {
      proxied: (route, build) => {
        const live = this.routes.get(route.id);
        if (!live || route.target.kind !== 'upstream') return undefined;
        return proxiedSides(route, this.bootSpecs.get(route.id)!, live, this.flags, build, shadowFor(route, build));
      },
      module: (route, build) => {
        if (!route) return { onRequest: unclaimedModule(this.flags, table.catchAll, build) };
        const live = this.routes.get(route.id);
        if (!live || route.target.kind !== 'module') return undefined;
        return moduleSides(route, this.bootSpecs.get(route.id)!, live, this.flags, build, shadowFor(route, build));
      },
    };
  }

  /**
   * For a route whose normal target is the new side: whether a rollback (ROUTE_ALL_TO_LEGACY, the admin flag, the
   * route's `rollback`) sends it to legacy right now. Two boolean reads of the live objects, which follow the admin
   * API and the other instances; undefined for a route that always targets legacy.
   */
  rollbackProbe(routeId: string): (() => boolean) | undefined {
    const live = this.routes.get(routeId);
    if (!live) return undefined;
    const flags = this.flags;
    return () => flags.routeAllToLegacy || live.rollback;
  }

  /**
   * Before the gateway listens (Nest's bootstrap hook, awaited by app.init): an instance started during a rollback
   * must not serve its first requests by the routes file's table. Subscribes first, so a change published while
   * the overrides are read is not missed.
   */
  async start(): Promise<void> {
    this.bus = createFlagBus(this.store, CHANNEL);
    this.bus.subscribe(
      (message) => this.receive(message),
      () => void this.loadPersisted(),
    );
    await this.readAtStart();
    try {
      // The directory, not the file: editors and ConfigMap updates replace the file rather than write it.
      const name = basename(this.config.routesFile);
      this.watcher = watch(dirname(this.config.routesFile), (_event, file) => {
        if (file && file !== name && file !== '..data') return;
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => this.reloadFile('file change'), RELOAD_DEBOUNCE_MS);
      });
      this.watcher.unref();
    } catch (err) {
      this.log.warn(`routes file not watched (${(err as Error).message}); reload with SIGHUP`);
    }
    process.on('SIGHUP', this.onHup);
    if (this.routes.size) this.log.log(`migration controls in force: ${this.summary()}`);
  }

  async close(): Promise<void> {
    process.off('SIGHUP', this.onHup);
    clearTimeout(this.debounce);
    this.watcher?.close();
    await this.bus?.close();
  }

  // --- sources ---

  /** Re-reads routes.yaml: run-time fields apply at once; anything else is reported as needing a restart. */
  reloadFile(why: string): boolean {
    let specs: RouteSpec[];
    try {
      specs = loadRoutes(this.config.routesFile);
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems : [(err as Error).message];
      this.log.warn(`routes file reload refused (${why}), keeping the last good table: ${problems.join('; ')}`);
      return false;
    }
    const next = new Map(specs.map((s) => [s.id, s]));
    const restart: string[] = [];
    const accepted = new Map<string, RouteSpec>();
    for (const [id, boot] of this.bootSpecs) {
      const spec = next.get(id);
      if (!spec) restart.push(`${id}: removed`);
      else if (structuralPart(spec) !== structuralPart(boot)) restart.push(`${id}: path, target or options changed`);
      accepted.set(id, spec && structuralPart(spec) === structuralPart(boot) ? spec : this.fileSpecs.get(id)!);
    }
    for (const id of next.keys()) if (!this.bootSpecs.has(id)) restart.push(`${id}: added`);
    if (restart.length)
      this.log.warn(`routes file (${why}): needs a restart for: ${restart.join('; ')}; those changes are ignored`);
    this.fileSpecs = accepted;
    this.apply();
    this.log.log(`routes file reloaded (${why}): ${this.summary()}`);
    return true;
  }

  private receive(message: string): void {
    let parsed: Overrides;
    try {
      parsed = overridesSchema.parse(JSON.parse(message));
    } catch {
      return;
    }
    if (parsed.version <= this.overrides.version) return;
    this.overrides = parsed;
    this.apply();
    this.log.log(`flags changed by an operator: ${this.summary()}`);
  }

  /**
   * Bounded by the store's own timeouts (connect, then one command): with the store down the gateway starts
   * anyway, on the environment and the routes file, and stays not ready until a later read succeeds.
   */
  private async readAtStart(): Promise<void> {
    if ((await this.store.connected(STORE_TIMEOUTS.connectMs)) && (await this.readPersisted())) return;
    // A read after the subscription came up may have succeeded meanwhile.
    if (this.overridesRead) return;
    const store = this.config.redis ? redisTargetName(this.config.redis) : 'memory';
    this.unreadAtStart = true;
    this.log.warn(
      `persisted overrides (${FLAGS_KEY}) could not be read from the store (${store}) at start: serving by the ` +
        'environment and the routes file, not ready, until the store answers',
    );
  }

  /** After each (re)subscription: messages missed while away are in the store. */
  private async loadPersisted(attempt = 0): Promise<void> {
    if (await this.readPersisted()) return;
    // Redis may still be connecting: a few tries, then the next reconnect tries again.
    if (attempt < 10) setTimeout(() => void this.loadPersisted(attempt + 1), 200).unref();
  }

  /** One read of `figway:flags`; false when the store did not answer. */
  private async readPersisted(): Promise<boolean> {
    let raw: Buffer | null;
    try {
      raw = await this.store.get(FLAGS_KEY);
    } catch {
      return false;
    }
    if (raw) this.receive(raw.toString('utf8'));
    // After the start-up warning, say when the store finally answered.
    if (!this.read && this.unreadAtStart) this.log.log(`persisted overrides read from the store: ${this.summary()}`);
    this.read = true;
    return true;
  }

  private async commit(next: Overrides): Promise<void> {
    next.version = Math.max(Date.now(), this.overrides.version + 1);
    const text = JSON.stringify(next);
    try {
      await this.store.set(FLAGS_KEY, Buffer.from(text), FLAGS_TTL_MS);
    } catch (err) {
      throw new GatewayError(
        'FLAG_STORE_UNAVAILABLE',
        'The change was not applied: the store could not keep it for the other instances.',
        { cause: err },
      );
    }
    this.overrides = next;
    this.apply();
    this.log.log(`flags changed through the admin API: ${this.summary()}`);
    // Others that miss the message still read the store when they reconnect.
    await this.bus?.publish(text).catch((err: Error) => this.log.warn(`flag change not published: ${err.message}`));
  }

  // --- admin operations ---

  async setFlags(patch: FlagsPatch) {
    if (this.config.routeAllToLegacy && patch.route_all_to_legacy === false) {
      throw new GatewayError(
        'FLAG_FORCED_BY_ENV',
        'ROUTE_ALL_TO_LEGACY=true is set in the environment; only a restart without it undoes it.',
      );
    }
    if (!this.config.cacheEnabled && patch.cache_enabled === true) {
      throw new GatewayError(
        'FLAG_FORCED_BY_ENV',
        'CACHE_ENABLED=false is set in the environment; only a restart without it undoes it.',
      );
    }
    await this.commit({ ...this.overrides, flags: patched(this.overrides.flags, patch) });
    return this.describeFlags();
  }

  async setRoute(id: string, patch: RoutePatch) {
    if (!this.routes.has(id)) {
      throw new GatewayError(
        'NOT_FOUND',
        this.bootSpecs.has(id) ? `Route ${id} targets legacy: it has no side to change.` : `No route ${id}.`,
      );
    }
    const routes = { ...this.overrides.routes, [id]: patched(this.overrides.routes[id] ?? {}, patch) };
    if (Object.keys(routes[id]).length === 0) delete routes[id];
    await this.commit({ ...this.overrides, routes });
    return this.describeRoute(id);
  }

  describeFlags() {
    const o = this.overrides.flags;
    const source = (envForces: boolean, override: boolean | undefined): Source =>
      envForces ? 'env' : override !== undefined ? 'admin' : 'env';
    return {
      route_all_to_legacy: {
        value: this.flags.routeAllToLegacy,
        source: source(this.config.routeAllToLegacy, o.route_all_to_legacy),
      },
      cache_enabled: { value: this.flags.cacheEnabled, source: source(!this.config.cacheEnabled, o.cache_enabled) },
    };
  }

  describeRoutes() {
    const ids = this.table ? this.table.routes.map((r) => r.id) : [...this.bootSpecs.keys()];
    return { routes: ids.map((id) => this.describeRoute(id)) };
  }

  private describeRoute(id: string) {
    const spec = this.bootSpecs.get(id)!;
    const live = this.routes.get(id);
    if (!live) return { id, path: spec.path, target: spec.target, in_force: 'legacy' };
    const admin = this.overrides.routes[id] ?? {};
    const file = this.fileSpecs.get(id)!;
    const s = live.served;
    const total = s.legacy + s.new + s.fallback;
    const share = (n: number) => (total ? Math.round((n / total) * 10_000) / 10_000 : 0);
    return {
      id,
      path: spec.path,
      target: spec.target,
      in_force: this.flags.routeAllToLegacy
        ? 'legacy (route_all_to_legacy)'
        : live.rollback
          ? 'legacy (rollback)'
          : live.newPercent >= 100
            ? 'new'
            : live.newPercent <= 0
              ? 'legacy'
              : 'split',
      weights: {
        legacy: 100 - live.newPercent,
        new: live.newPercent,
        source: (admin.weights ? 'admin' : 'file') as Source,
      },
      rollback: { value: live.rollback, source: (admin.rollback !== undefined ? 'admin' : 'file') as Source },
      fallback: live.fallback ? { statuses: [...live.fallback], breaker: live.breaker?.options } : null,
      breaker: live.breaker ? live.breaker.state : null,
      shadow: file.shadow ?? null,
      served: { ...s, total, share: { legacy: share(s.legacy), new: share(s.new), fallback: share(s.fallback) } },
    };
  }

  // --- effective state ---

  private apply(): void {
    for (const [id, live] of this.routes) {
      const file = this.fileSpecs.get(id)!;
      const admin = this.overrides.routes[id] ?? {};
      const weights = admin.weights ?? file.weights;
      live.newPercent = weights ? weights.new : 100;
      live.rollback = admin.rollback ?? file.rollback ?? false;
      live.fallback = fallbackStatuses(file.fallback);
      if (live.fallback) {
        const options = breakerOptions(file.fallback);
        if (live.breaker) live.breaker.options = options;
        else live.breaker = this.newBreaker(id, options);
      } else live.breaker = undefined;
      this.breakerGauge.set({ route: id }, live.breaker && live.breaker.state !== 'closed' ? 1 : 0);
      live.shadow = shadowSettings(file.shadow);
    }
    this.flags.routeAllToLegacy = this.config.routeAllToLegacy || (this.overrides.flags.route_all_to_legacy ?? false);
    this.flags.cacheEnabled = this.config.cacheEnabled && (this.overrides.flags.cache_enabled ?? true);
    this.metrics.flag.set({ name: 'route_all_to_legacy' }, this.flags.routeAllToLegacy ? 1 : 0);
    this.metrics.flag.set({ name: 'cache_enabled' }, this.flags.cacheEnabled ? 1 : 0);
  }

  private newBreaker(id: string, options: { failures: number; cooldownMs: number }): CircuitBreaker {
    return new CircuitBreaker(options, (open) => {
      this.breakerGauge.set({ route: id }, open ? 1 : 0);
      if (open)
        this.log.warn(
          `breaker open for route ${id}: new side failing, traffic goes to legacy for ${options.cooldownMs} ms`,
        );
      else this.log.log(`breaker closed for route ${id}: new side answering again`);
    });
  }

  private summary(): string {
    const routes = [...this.routes.values()].map(
      (r) => `${r.id}=${r.rollback ? 'rollback' : `${100 - r.newPercent}/${r.newPercent}`}`,
    );
    return `route_all_to_legacy=${this.flags.routeAllToLegacy} cache_enabled=${this.flags.cacheEnabled} ${routes.join(' ')}`.trim();
  }
}
