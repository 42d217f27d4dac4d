import { Logger } from '@nestjs/common';
import type { GatewayConfig, RolloutSpec } from '../config';
import { GatewayError } from '../errors/gateway-error';
import { INSTANCE_ID } from '../lifecycle/instance-id';
import type { MigrationControl } from '../migration/migration-control';
import { StoreUnavailableError, type KeyValueStore } from '../store/key-value-store';
import type { GatewayMetrics } from '../telemetry/metrics';
import { clusterServed } from './cluster-served';
import { EvidenceRecorder } from './evidence-recorder';
import type { Verdict } from './judge';
import { JudgeLoop } from './judge-loop';
import { RolloutMetrics } from './rollout-metrics';
import { applyAction, pauseForManualWeight, type RolloutAction, type RolloutState } from './rollout-state';
import { RolloutStore } from './rollout-store';
import { rolloutView } from './rollout-view';

/** Store failures of an operator's action, in the admin API's words. */
async function storeCall<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err;
    throw new GatewayError('ROLLOUT_STORE_UNAVAILABLE', 'The rollout store did not answer; nothing was changed.', {
      cause: err,
    });
  }
}

/**
 * The rollout autopilot, wired (docs/migration.md "Rollout autopilot"): this instance's evidence goes to the store
 * (EvidenceRecorder), one instance judges (JudgeLoop), every instance holds the states and puts their weights in
 * force through MigrationControl, the admin API acts through here.
 */
export class RolloutService {
  readonly instance = INSTANCE_ID;
  private readonly states = new Map<string, RolloutState>();
  private readonly store: RolloutStore;
  private readonly recorder: EvidenceRecorder;
  private readonly judge: JudgeLoop;
  private readonly metrics: RolloutMetrics;
  private readonly log = new Logger('Rollout');

  constructor(
    config: GatewayConfig,
    kv: KeyValueStore,
    gatewayMetrics: GatewayMetrics,
    private readonly control: MigrationControl,
  ) {
    this.store = new RolloutStore(kv);
    this.metrics = new RolloutMetrics(gatewayMetrics.registry);
    this.recorder = new EvidenceRecorder(kv, new Set(control.sideRouteIds()), this.log);
    gatewayMetrics.onObserve = (route, target, status, seconds) =>
      this.recorder.request(route, target, status, seconds);
    control.shadow.onCopy = (route, side, status, ms, result) => this.recorder.shadow(route, side, status, ms, result);
    control.onManualWeight = (route) => this.pauseForManualWeight(route);
    control.servedAcrossCluster = (route) => clusterServed(kv, route, Date.now());
    this.judge = new JudgeLoop({
      store: kv,
      states: this.store,
      intervalMs: config.rolloutEvaluationMs,
      instance: this.instance,
      routes: () => this.routeIds(),
      specOf: (route) => this.specOf(route),
      floor: (route) => this.floor(route),
      decided: (route, verdict, next, logged) => this.decided(route, verdict, next, logged),
      log: this.log,
    });
    for (const route of this.routeIds()) this.metrics.expect(route, this.control.routes.get(route)!.newPercent);
  }

  /** Before the gateway listens: an instance started mid-rollout serves the rollout's weight from its first request. */
  async start(): Promise<void> {
    this.store.subscribe(
      (s) => this.received(s),
      () => void this.readAll().catch(() => undefined),
    );
    await this.readAll().catch((err: Error) =>
      this.log.warn(`rollout states could not be read at start (${err.message}): routes serve the file's weights`),
    );
    this.recorder.start();
    this.judge.start();
  }

  async close(): Promise<void> {
    await this.judge.close();
    await this.recorder.close();
    await this.store.close();
  }

  // --- admin API ---

  async list() {
    return { rollouts: await Promise.all(this.routeIds().map((route) => this.describe(route))) };
  }

  async describe(route: string) {
    const spec = this.specOrNotFound(route);
    const { state } = await storeCall(() => this.store.read(route));
    return rolloutView(state, spec, this.control.describeRoute(route));
  }

  async act(route: string, action: RolloutAction) {
    const spec = this.specOrNotFound(route);
    const next = (await storeCall(() => this.store.update(route, (s) => applyAction(s, spec, action, Date.now()))))!;
    // The rollout's weight governs again: an operator's weight override on the route is lifted.
    if ((action === 'start' || action === 'resume' || action === 'promote') && this.control.hasWeightOverride(route))
      await this.control.setRoute(route, { weights: null });
    this.received(next);
    this.logDecision(route, next);
    return rolloutView(next, spec, this.control.describeRoute(route));
  }

  // --- state in force ---

  private routeIds(): string[] {
    return this.control.sideRouteIds().filter((id) => this.specOf(id));
  }

  private specOf(route: string): RolloutSpec | undefined {
    return this.control.fileSpec(route)?.rollout;
  }

  private specOrNotFound(route: string): RolloutSpec {
    const spec = this.specOf(route);
    if (!spec) throw new GatewayError('NOT_FOUND', `Route ${route} has no rollout: in routes.yaml.`);
    return spec;
  }

  private floor(route: string): string | undefined {
    const r = this.control.describeRoute(route);
    if (r.in_force === 'legacy (route_all_to_legacy)') return 'route_all_to_legacy is in force';
    if (r.in_force === 'legacy (rollback)') return "the route's rollback is in force";
    return undefined;
  }

  private async readAll(): Promise<void> {
    for (const route of this.routeIds()) this.received((await this.store.read(route)).state);
  }

  /** A state read or published: newer than the one held, it goes in force here. */
  private received(s: RolloutState): void {
    const held = this.states.get(s.route);
    if (held && s.version < held.version) return;
    if (!this.specOf(s.route)) return;
    this.states.set(s.route, s);
    this.control.setRolloutWeight(s.route, s.state === 'idle' ? undefined : s.weight);
    this.metrics.show(s, this.control.routes.get(s.route)!.newPercent);
  }

  private async pauseForManualWeight(route: string): Promise<void> {
    if (!this.specOf(route)) return;
    const next = await storeCall(() => this.store.update(route, (s) => pauseForManualWeight(s, Date.now())));
    if (!next) return;
    this.received(next);
    this.logDecision(route, next);
  }

  private decided(route: string, verdict: Verdict, next: RolloutState, logged: boolean): void {
    this.metrics.decided(route, verdict.decision);
    this.received(next);
    if (logged) this.logDecision(route, next);
  }

  /** One JSON line per decision, with its evidence; a completed rollout says legacy can be retired. */
  private logDecision(route: string, s: RolloutState): void {
    const d = s.decisions.at(-1);
    if (!d) return;
    const retire =
      s.state === 'complete'
        ? `; the route is served by the new side: legacy's ${this.control.fileSpec(route)?.legacy_path ?? 'path'} for it can be retired`
        : '';
    const why = d.detail ? ` (${d.detail})` : '';
    this.log.log({
      msg: `rollout ${route}: ${d.decision} by ${d.by} at step ${d.step} (weight ${d.weight})${why}; now ${s.state}, weight ${s.weight}${retire}`,
      rollout: { route, state: s.state, ...d },
    });
  }
}
