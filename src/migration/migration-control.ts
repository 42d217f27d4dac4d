import { Logger } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { Gauge } from 'prom-client';
import { hasLegacySide, redisTargetName, type GatewayConfig, type RouteSpec } from '../config';
import { GatewayError } from '../errors/gateway-error';
import { compileTrust } from '../proxy/client-address';
import type { ForwarderBuilder, SideSteering } from '../proxy/proxy-routes';
import type { CompiledRoute, RouteTable } from '../routing';
import type { KeyValueStore } from '../store/key-value-store';
import type { GatewayMetrics } from '../telemetry/metrics';
import { flagsView, routeView } from './admin-view';
import { CircuitBreaker } from './breaker';
import type { LiveFlags, RouteLive } from './live-state';
import { mergeState, type MergedState } from './merge-state';
import { OverrideSource } from './override-source';
import { patched, type FlagsPatch, type RoutePatch } from './overrides';
import { moduleSides, proxiedSides, sideRoutes, unclaimedModule, type ShadowWiring } from './route-sides';
import { RoutesFileSource } from './routes-file-source';
import { httpTarget, injectTarget, ShadowRunner } from './shadow';

export { FLAGS_KEY } from './override-source';

/**
 * The migration controls, wired: two sources of run-time state (routes.yaml, src/migration/routes-file-source.ts;
 * operators' overrides in the store, src/migration/override-source.ts) and the environment are merged by
 * precedence (src/migration/merge-state.ts) into plain objects the request path reads; the admin API renders them
 * (src/migration/admin-view.ts). SIGHUP (reload) is installed by src/main.ts.
 */
export class MigrationControl {
  readonly flags: LiveFlags;
  readonly routes = new Map<string, RouteLive>();
  private readonly bootSpecs: Map<string, RouteSpec>;
  private readonly file: RoutesFileSource;
  private readonly overrides: OverrideSource;
  private state!: MergedState;
  private table?: RouteTable;
  private readonly log = new Logger('Migration');
  private readonly breakerGauge: Gauge<'route'>;
  readonly shadow: ShadowRunner;
  /** The weight each rollout that is not idle puts in force (src/rollout keeps them current). */
  private readonly rolloutWeights = new Map<string, number>();
  /** Told when an operator sets a route's weights by hand: its running rollout pauses (src/rollout). */
  onManualWeight?: (routeId: string) => Promise<void>;
  /** Requests served per side by every instance over the last minutes (src/rollout/cluster-served.ts). */
  servedAcrossCluster?: (routeId: string) => Promise<unknown>;

  constructor(
    private readonly config: GatewayConfig,
    store: KeyValueStore,
    private readonly metrics: GatewayMetrics,
  ) {
    this.flags = { routeAllToLegacy: config.routeAllToLegacy, cacheEnabled: config.cacheEnabled };
    this.bootSpecs = new Map(config.routes.map((r) => [r.id, r]));
    this.file = new RoutesFileSource(config.routesFile, this.bootSpecs, this.log, (why) => {
      this.apply();
      this.log.log(`routes file reloaded (${why}): ${this.summary()}`);
    });
    const storeName = config.redis ? redisTargetName(config.redis) : 'memory';
    this.overrides = new OverrideSource(store, storeName, this.log, {
      changed: (why) => {
        this.apply();
        this.log.log(`${why}: ${this.summary()}`);
      },
      summary: () => this.summary(),
    });
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
    return this.overrides.read;
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
   * must not serve its first requests by the routes file's table.
   */
  async start(): Promise<void> {
    await this.overrides.start();
    this.file.watch();
    if (this.routes.size) this.log.log(`migration controls in force: ${this.summary()}`);
  }

  async close(): Promise<void> {
    this.file.close();
    await this.overrides.close();
  }

  /** The routes file's entry in force for a route (the last good reload). */
  fileSpec(routeId: string): RouteSpec | undefined {
    return this.file.specs.get(routeId);
  }

  /** Why a floor keeps the route on legacy now (ROUTE_ALL_TO_LEGACY or the flag, the route's rollback), if one does. */
  floorOf(routeId: string): string | undefined {
    if (this.flags.routeAllToLegacy) return 'route_all_to_legacy is in force';
    if (this.routes.get(routeId)?.rollback) return "the route's rollback is in force";
    return undefined;
  }

  /** The routes that can change side: the ones a rollout may move. */
  sideRouteIds(): string[] {
    return [...this.routes.keys()];
  }

  /** A rollout's weight for a route (undefined: the rollout is idle, the file or an operator decides). */
  setRolloutWeight(routeId: string, weight: number | undefined): void {
    if (this.rolloutWeights.get(routeId) === weight) return;
    if (weight === undefined) this.rolloutWeights.delete(routeId);
    else this.rolloutWeights.set(routeId, weight);
    this.apply();
    this.log.log(`rollout of ${routeId}: ${this.summary()}`);
  }

  /** Re-reads routes.yaml (on a file change, or SIGHUP from src/main.ts); false when the new file was refused. */
  reloadFile(why: string): boolean {
    return this.file.reload(why);
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
    const current = this.overrides.current;
    await this.overrides.commit({ ...current, flags: patched(current.flags, patch) });
    return this.describeFlags();
  }

  async setRoute(id: string, patch: RoutePatch) {
    if (!this.routes.has(id)) {
      throw new GatewayError(
        'NOT_FOUND',
        this.bootSpecs.has(id) ? `Route ${id} targets legacy: it has no side to change.` : `No route ${id}.`,
      );
    }
    const spec = this.bootSpecs.get(id)!;
    // routes.yaml refuses weights and rollback on such a route (src/config/routes.schema.ts); so does the API.
    if (!hasLegacySide(spec) && (patch.weights || patch.rollback)) {
      throw new GatewayError(
        'CONFLICT',
        `Route ${id} is served by ${spec.target} and has no legacy_path: there is no legacy side to send it to. ` +
          'Give it legacy_path in the routes file to steer it.',
      );
    }
    const current = this.overrides.current;
    const routes = { ...current.routes, [id]: patched(current.routes[id] ?? {}, patch) };
    if (Object.keys(routes[id]).length === 0) delete routes[id];
    await this.overrides.commit({ ...current, routes });
    if (patch.weights) await this.onManualWeight?.(id);
    return this.describeRoute(id);
  }

  // --- views ---

  describeFlags() {
    return flagsView(this.state.flags);
  }

  describeRoutes() {
    const ids = this.table ? this.table.routes.map((r) => r.id) : [...this.bootSpecs.keys()];
    return { routes: ids.map((id) => this.describeRoute(id)) };
  }

  /**
   * `GET /admin/routes`: describeRoutes, each route that can change side with `served_cluster` (all instances,
   * last five minutes; null when the store does not answer) beside `served` (this instance, since its start).
   */
  async describeRoutesAcrossCluster() {
    const view = this.describeRoutes();
    const served = this.servedAcrossCluster;
    if (!served) return view;
    const routes = await Promise.all(
      view.routes.map(async (r) =>
        'served' in r ? { ...r, served_cluster: await served(r.id).catch(() => null) } : r,
      ),
    );
    return { routes };
  }

  /** Whether an operator's weights override is in force on the route. */
  hasWeightOverride(id: string): boolean {
    return Boolean(this.overrides.current.routes[id]?.weights);
  }

  describeRoute(id: string) {
    const live = this.routes.get(id);
    const side = live && {
      live,
      state: this.state.routes.get(id)!,
      file: this.file.specs.get(id)!,
      routeAllToLegacy: this.flags.routeAllToLegacy,
    };
    return routeView(this.bootSpecs.get(id)!, side);
  }

  // --- effective state ---

  /** Merges the sources and copies the result into the objects the request path holds. */
  private apply(): void {
    const sideSpecs = new Map([...this.routes.keys()].map((id) => [id, this.file.specs.get(id)!]));
    this.state = mergeState(this.config, sideSpecs, this.overrides.current, this.rolloutWeights);
    for (const [id, live] of this.routes) {
      const s = this.state.routes.get(id)!;
      live.newPercent = s.newPercent.value;
      live.rollback = s.rollback.value;
      live.fallback = s.fallback;
      if (s.breaker) {
        if (live.breaker) live.breaker.options = s.breaker;
        else live.breaker = this.newBreaker(id, s.breaker);
      } else live.breaker = undefined;
      this.breakerGauge.set({ route: id }, live.breaker && live.breaker.state !== 'closed' ? 1 : 0);
      live.shadow = s.shadow;
    }
    this.flags.routeAllToLegacy = this.state.flags.routeAllToLegacy.value;
    this.flags.cacheEnabled = this.state.flags.cacheEnabled.value;
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
