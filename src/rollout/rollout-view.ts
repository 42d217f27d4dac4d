import type { RolloutSpec } from '../config';
import type { routeView } from '../migration/admin-view';
import { summarize } from './evidence';
import { judgedSide, legacyP95 } from './judge';
import type { RolloutState } from './rollout-state';

const SHOWN_DECISIONS = 20;

/**
 * One entry of `GET /admin/rollouts` (and `GET /admin/rollouts/:route`, and the answer to an action): the state,
 * the step, the weight the rollout sets beside the one in force (an operator's override or a floor may differ),
 * the current step's evidence across instances, and the last decisions, newest first.
 */
export function rolloutView(s: RolloutState, spec: RolloutSpec, route: ReturnType<typeof routeView>) {
  const step = Math.min(s.step, spec.steps.length - 1);
  const legacy = legacyP95(s.evidence, s.legacyP95Ms);
  return {
    route: s.route,
    state: s.state,
    step: s.state === 'idle' ? null : step,
    steps: spec.steps,
    weight: s.state === 'idle' ? null : s.weight,
    in_force: { side: route.in_force, weights: 'weights' in route ? route.weights : null },
    step_started_at: s.state === 'idle' ? null : new Date(s.stepStartedAt).toISOString(),
    step_interval_s: spec.step_interval_s,
    min_requests: spec.min_requests,
    gates: spec.gates,
    on_failure: spec.on_failure,
    evidence: s.state === 'idle' ? null : summarize(s.evidence, judgedSide(spec, step), legacy),
    reason: s.reason ?? null,
    legacy_retirable: s.state === 'complete',
    decisions: s.decisions.slice(-SHOWN_DECISIONS).reverse(),
  };
}
