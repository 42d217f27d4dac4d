import { z } from 'zod';
import type { RolloutSpec } from '../config';
import { GatewayError } from '../errors/gateway-error';
import { emptyEvidence, LATENCY_BUCKETS, type Evidence, type EvidenceSummary } from './evidence';
import type { Gate, Verdict } from './judge';

export const ROLLOUT_STATES = ['idle', 'running', 'paused', 'rolled_back', 'complete'] as const;
export type RolloutStateName = (typeof ROLLOUT_STATES)[number];
export const ROLLOUT_ACTIONS = ['start', 'pause', 'resume', 'promote', 'abort'] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];
/** The judge's decisions (the metric's `decision` label); operators' actions are logged beside them. */
export const DECISIONS = ['advance', 'hold', 'rollback', 'complete'] as const;

/** One line of a rollout's timeline (newest last, the last MAX_DECISIONS kept). */
export interface DecisionEntry {
  at: string;
  /** A judge decision, an operator action, or `pause` on a manual weight change. */
  decision: (typeof DECISIONS)[number] | RolloutAction;
  /** Who: `judge@<instance>` or `admin`. */
  by: string;
  /** The step and weight in force when it was decided; the state after it is the next entry's, or the current. */
  step: number;
  weight: number;
  gate?: Gate;
  detail?: string;
  evidence?: EvidenceSummary;
}

/** A route's rollout as kept in the store (`figway:rollout:{route}`); the judge and the admin API change it. */
export interface RolloutState {
  route: string;
  state: RolloutStateName;
  /** Index into the spec's steps. */
  step: number;
  /** The new side's weight this rollout puts in force (idle: none). */
  weight: number;
  /** When the current step began (ms since the epoch). */
  stepStartedAt: number;
  /** The last evidence second added to `evidence`. */
  cursor: number;
  /** This step's evidence so far, all instances. */
  evidence: Evidence;
  /** Legacy's p95 as last measured, for steps where legacy serves too little to measure. */
  legacyP95Ms?: number;
  /** Why the rollout is paused or rolled back, in words. */
  reason?: string;
  decisions: DecisionEntry[];
  /** Milliseconds since the epoch of the last change: an older message never undoes a newer state. */
  version: number;
}

const MAX_DECISIONS = 50;

const sideSchema = z.object({
  requests: z.number(),
  errors: z.number(),
  latency: z.array(z.number()).length(LATENCY_BUCKETS),
});

export const rolloutStateSchema = z.object({
  route: z.string(),
  state: z.enum(ROLLOUT_STATES),
  step: z.number().int().min(0),
  weight: z.number().min(0).max(100),
  stepStartedAt: z.number(),
  cursor: z.number(),
  evidence: z.object({
    legacy: sideSchema,
    new: sideSchema,
    shadow: sideSchema,
    same: z.number(),
    diff: z.number(),
    // States written before it was counted have none.
    fallback: z.number().default(0),
  }),
  legacyP95Ms: z.number().optional(),
  reason: z.string().optional(),
  decisions: z.array(z.object({ at: z.string(), decision: z.string() }).passthrough()),
  version: z.number(),
}) as unknown as z.ZodType<RolloutState>;

export function idleState(route: string): RolloutState {
  return {
    route,
    state: 'idle',
    step: 0,
    weight: 0,
    stepStartedAt: 0,
    cursor: 0,
    evidence: emptyEvidence(),
    decisions: [],
    version: 0,
  };
}

/**
 * `after` with the decision that led to it logged. The entry names the step and weight the decision was taken at
 * (a rollback at step 3 says weight 25, not the 0 it puts in force); the log line adds the state after it.
 */
function logged(
  before: RolloutState,
  after: RolloutState,
  entry: Omit<DecisionEntry, 'at' | 'step' | 'weight'>,
  now: number,
): RolloutState {
  const at = new Date(now).toISOString();
  const decisions = [...before.decisions, { at, step: before.step, weight: before.weight, ...entry }];
  return { ...after, decisions: decisions.slice(-MAX_DECISIONS), version: Math.max(now, before.version + 1) };
}

/** A fresh step: its own clock and evidence, starting at the current second. */
function atStep(s: RolloutState, spec: RolloutSpec, step: number, now: number): RolloutState {
  return {
    ...s,
    step,
    weight: spec.steps[step],
    stepStartedAt: now,
    cursor: Math.floor(now / 1000),
    evidence: emptyEvidence(),
  };
}

function refuse(action: RolloutAction, s: RolloutState): never {
  throw new GatewayError('ROLLOUT_CONFLICT', `Cannot ${action} the rollout of ${s.route}: it is ${s.state}.`);
}

/**
 * An operator's action (POST /admin/rollouts/:route/<action>). `start` runs from the first step (also after a
 * rollback, an abort or completion); `resume` goes on from the current step, which begins again; `promote` moves
 * to the next step now (completing at the last); `abort` puts weight 0 and pauses. Pure: the caller stores it.
 */
export function applyAction(s: RolloutState, spec: RolloutSpec, action: RolloutAction, now: number): RolloutState {
  const by = 'admin';
  switch (action) {
    case 'start':
      if (s.state === 'running') refuse(action, s);
      return logged(
        s,
        { ...atStep(s, spec, 0, now), state: 'running', reason: undefined },
        { decision: action, by },
        now,
      );
    case 'pause':
      if (s.state !== 'running') refuse(action, s);
      return logged(s, { ...s, state: 'paused', reason: 'paused by an operator' }, { decision: action, by }, now);
    case 'resume':
      if (s.state !== 'paused') refuse(action, s);
      return logged(
        s,
        { ...atStep(s, spec, Math.min(s.step, spec.steps.length - 1), now), state: 'running', reason: undefined },
        { decision: action, by },
        now,
      );
    case 'promote': {
      if (s.state !== 'running' && s.state !== 'paused') refuse(action, s);
      const next = Math.min(s.step + 1, spec.steps.length);
      if (next === spec.steps.length)
        return logged(s, { ...s, state: 'complete', weight: 100, reason: undefined }, { decision: action, by }, now);
      return logged(
        s,
        { ...atStep(s, spec, next, now), state: 'running', reason: undefined },
        { decision: action, by },
        now,
      );
    }
    case 'abort':
      // A rolled-back rollout is at weight 0 already; aborting it would make it resumable, and after a rollback
      // only `start` (from the first step) goes on.
      if (s.state === 'idle' || s.state === 'rolled_back') refuse(action, s);
      return logged(
        s,
        { ...s, state: 'paused', weight: 0, reason: 'aborted by an operator' },
        { decision: action, by },
        now,
      );
  }
}

/** A manual weight change on the route (PUT /admin/routes/:id): a running rollout pauses and says why. */
export function pauseForManualWeight(s: RolloutState, now: number): RolloutState | undefined {
  if (s.state !== 'running') return undefined;
  return logged(
    s,
    { ...s, state: 'paused', reason: 'paused: the route weight was changed by hand' },
    { decision: 'pause', by: 'admin', detail: 'manual weight change' },
    now,
  );
}

/** Applies the judge's verdict. A hold is logged only when its reason changes (the metric counts every one). */
export function applyVerdict(s: RolloutState, spec: RolloutSpec, v: Verdict, by: string, now: number): RolloutState {
  const entry = { by, evidence: v.summary };
  switch (v.decision) {
    case 'advance':
      return logged(s, atStep(s, spec, s.step + 1, now), { decision: 'advance', ...entry }, now);
    case 'complete':
      return logged(s, { ...s, state: 'complete', weight: 100 }, { decision: 'complete', ...entry }, now);
    case 'rollback':
      return logged(
        s,
        { ...s, state: 'rolled_back', weight: 0, reason: `rolled back: ${v.detail}` },
        { decision: 'rollback', gate: v.gate, detail: v.detail, ...entry },
        now,
      );
    case 'hold': {
      const paused = v.reason === 'gate';
      const next: RolloutState = paused ? { ...s, state: 'paused', reason: `held: ${v.detail}` } : s;
      const last = s.decisions[s.decisions.length - 1];
      const detail = v.reason === 'gate' || v.reason === 'floor' ? v.detail : v.reason;
      if (!paused && last?.decision === 'hold' && last.detail === detail) return next;
      return logged(s, next, { decision: 'hold', gate: v.gate, detail, ...entry }, now);
    }
  }
}
