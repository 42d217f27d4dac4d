import { Counter, Gauge, type Registry } from 'prom-client';
import { DECISIONS, ROLLOUT_STATES, type RolloutState } from './rollout-state';

/**
 * `gateway_rollout_weight{route}` and `gateway_rollout_state{route,state}` on every instance (from the state it
 * holds), `gateway_rollout_decisions_total{route,decision}` on the instance that decided. Every label set of a
 * route with `rollout:` exists from start-up, at 0.
 */
export class RolloutMetrics {
  private readonly weight: Gauge<'route'>;
  private readonly state: Gauge<'route' | 'state'>;
  private readonly decisions: Counter<'route' | 'decision'>;

  constructor(registry: Registry) {
    this.weight = new Gauge({
      name: 'gateway_rollout_weight',
      help: "The new side's weight (0..100) a route's rollout puts in force, as this instance holds it",
      labelNames: ['route'] as const,
      registers: [registry],
    });
    this.state = new Gauge({
      name: 'gateway_rollout_state',
      help: "A route's rollout state: 1 for the current one (idle, running, paused, rolled_back, complete)",
      labelNames: ['route', 'state'] as const,
      registers: [registry],
    });
    this.decisions = new Counter({
      name: 'gateway_rollout_decisions_total',
      help: 'Rollout decisions taken by this instance while it held the judge lease (advance, hold, rollback, complete)',
      labelNames: ['route', 'decision'] as const,
      registers: [registry],
    });
  }

  expect(route: string, weight: number): void {
    this.weight.set({ route }, weight);
    for (const state of ROLLOUT_STATES) this.state.set({ route, state }, state === 'idle' ? 1 : 0);
    for (const decision of DECISIONS) this.decisions.inc({ route, decision }, 0);
  }

  show(s: RolloutState, weight: number): void {
    this.weight.set({ route: s.route }, weight);
    for (const state of ROLLOUT_STATES) this.state.set({ route: s.route, state }, state === s.state ? 1 : 0);
  }

  decided(route: string, decision: (typeof DECISIONS)[number]): void {
    this.decisions.inc({ route, decision });
  }
}
