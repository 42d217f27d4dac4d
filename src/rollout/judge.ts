import type { RolloutSpec } from '../config';
import { errorRate, quantileMs, summarize, type Evidence, type EvidenceSummary, type SideName } from './evidence';

export type Gate = 'max_error_rate' | 'max_latency_ratio' | 'max_diff_rate';

/**
 * Why a step holds: `interval` (too soon), `requests` (too few judged), `legacy_latency` (no legacy p95 yet to
 * compare with), `floor` (ROUTE_ALL_TO_LEGACY or the route's rollback keeps it on legacy), or a failed gate under
 * `on_failure: hold`.
 */
export type HoldReason = 'interval' | 'requests' | 'legacy_latency' | 'floor' | 'gate';

export type Verdict =
  | { decision: 'advance' | 'complete'; summary: EvidenceSummary }
  | { decision: 'hold'; reason: HoldReason; gate?: Gate; detail: string; summary: EvidenceSummary }
  | { decision: 'rollback'; gate: Gate; detail: string; summary: EvidenceSummary };

export interface StepInput {
  spec: RolloutSpec;
  /** Index into spec.steps. */
  step: number;
  elapsedMs: number;
  /** Everything judged since the step began. */
  evidence: Evidence;
  /** The last stretch of it (src/rollout/recent-window.ts): a sudden failure must not be diluted by a long step. */
  recent: Evidence;
  /** Legacy's p95 from an earlier step, for when legacy serves too little now (at 100, nothing). */
  lastLegacyP95Ms?: number;
}

/** Legacy's p95 is read from this step when it served at least this many requests, else the last one known. */
export const LEGACY_P95_MIN_REQUESTS = 20;

/** The new side's sample: its shadow copies at step 0 (no user is sent there yet), its requests after. */
export function judgedSide(spec: RolloutSpec, step: number): SideName {
  return spec.steps[step] === 0 ? 'shadow' : 'new';
}

export function legacyP95(ev: Evidence, last: number | undefined): number | undefined {
  return ev.legacy.requests >= LEGACY_P95_MIN_REQUESTS ? quantileMs(ev.legacy, 0.95) : last;
}

interface Failure {
  gate: Gate;
  detail: string;
}

const pct = (r: number) => `${(r * 100).toFixed(2)}%`;

/** The first gate `ev` fails, judging only what has a sample of at least min_requests. */
function failedGate(input: StepInput, ev: Evidence, legacy: number | undefined): Failure | undefined {
  const { spec } = input;
  const gates = spec.gates;
  const side = ev[judgedSide(spec, input.step)];
  if (side.requests >= spec.min_requests) {
    const rate = errorRate(side);
    if (gates.max_error_rate !== undefined && rate > gates.max_error_rate)
      return { gate: 'max_error_rate', detail: `error rate ${pct(rate)} > ${pct(gates.max_error_rate)}` };
    const p95 = quantileMs(side, 0.95);
    if (gates.max_latency_ratio !== undefined && p95 !== undefined && legacy) {
      const ratio = p95 / legacy;
      if (ratio > gates.max_latency_ratio)
        return {
          gate: 'max_latency_ratio',
          detail: `p95 ${p95.toFixed(1)} ms is ${ratio.toFixed(2)}x legacy's ${legacy.toFixed(1)} ms > ${gates.max_latency_ratio}x`,
        };
    }
  }
  const compared = ev.same + ev.diff;
  if (gates.max_diff_rate !== undefined && compared >= spec.min_requests) {
    const rate = ev.diff / compared;
    if (rate > gates.max_diff_rate)
      return { gate: 'max_diff_rate', detail: `diff rate ${pct(rate)} > ${pct(gates.max_diff_rate)}` };
  }
  return undefined;
}

/** What is still missing before the step may advance, if anything. */
function missing(input: StepInput, legacy: number | undefined): { reason: HoldReason; detail: string } | undefined {
  const { spec, evidence } = input;
  const intervalMs = spec.step_interval_s * 1000;
  // Whole seconds, rounded down: 9.9 s of a 10 s interval must not read "10 s of 10 s".
  if (input.elapsedMs < intervalMs)
    return { reason: 'interval', detail: `${Math.floor(input.elapsedMs / 1000)} s of ${spec.step_interval_s} s` };
  const side = evidence[judgedSide(spec, input.step)];
  if (side.requests < spec.min_requests)
    return { reason: 'requests', detail: `${side.requests} of ${spec.min_requests} requests` };
  const compared = evidence.same + evidence.diff;
  if (spec.gates.max_diff_rate !== undefined && spec.steps[input.step] === 0 && compared < spec.min_requests)
    return { reason: 'requests', detail: `${compared} of ${spec.min_requests} compared responses` };
  if (spec.gates.max_latency_ratio !== undefined && legacy === undefined)
    return { reason: 'legacy_latency', detail: 'no legacy p95 to compare with yet' };
  return undefined;
}

/**
 * One evaluation of a running step. A gate fails on the whole step or on its recent stretch (either with a sample
 * of at least min_requests): `on_failure` then decides. Otherwise the step advances once it has lasted
 * step_interval_s and judged min_requests; the last step (100) completes the same way. Never advances on evidence
 * it does not have.
 */
export function judge(input: StepInput): Verdict {
  const { spec, step, evidence } = input;
  const legacy = legacyP95(evidence, input.lastLegacyP95Ms);
  const summary = summarize(evidence, judgedSide(spec, step), legacy);
  const failure =
    failedGate(input, evidence, legacy) ?? failedGate(input, input.recent, legacyP95(input.recent, legacy));
  if (failure) {
    if (spec.on_failure === 'rollback') return { decision: 'rollback', ...failure, summary };
    return { decision: 'hold', reason: 'gate', ...failure, summary };
  }
  const gap = missing(input, legacy);
  if (gap) return { decision: 'hold', ...gap, summary };
  return { decision: step === spec.steps.length - 1 ? 'complete' : 'advance', summary };
}
