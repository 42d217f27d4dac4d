/**
 * What a rollout is judged on: per route, per side, requests, errors and a latency histogram, plus the shadow
 * comparisons. Instances add theirs to the store in one-second buckets (src/rollout/evidence-recorder.ts); the
 * judge sums the buckets of a step across instances. Pure: no clock, no I/O.
 */

/** Latency buckets grow by 25%: a p95 read from them is within one bucket (25%) of the exact one. */
const FACTOR = 1.25;
const FIRST_MS = 0.25;
export const LATENCY_BUCKETS = 64;
const LOG_FACTOR = Math.log(FACTOR);

export interface SideEvidence {
  requests: number;
  /** New side: 5xx answers, failed exchanges, and requests legacy had to answer instead (fallback). */
  errors: number;
  /** Counts by latency bucket (index from latencyBucket). */
  latency: number[];
}

export interface Evidence {
  legacy: SideEvidence;
  /** Client requests the new side was chosen for (steps above 0). */
  new: SideEvidence;
  /** Shadow copies sent to the new side (step 0). */
  shadow: SideEvidence;
  /** Shadow comparisons, noise already removed (src/migration/shadow.ts). */
  same: number;
  diff: number;
  /** Of the new side's requests, those legacy answered (fallback, open breaker): for the share served by side. */
  fallback: number;
}

export type SideName = 'legacy' | 'new' | 'shadow';
const SIDES: readonly SideName[] = ['legacy', 'new', 'shadow'];
/** Short field prefixes in the store's hashes. */
const PREFIX: Record<SideName, string> = { legacy: 'l', new: 'n', shadow: 's' };

export function emptySide(): SideEvidence {
  return { requests: 0, errors: 0, latency: new Array<number>(LATENCY_BUCKETS).fill(0) };
}

export function emptyEvidence(): Evidence {
  return { legacy: emptySide(), new: emptySide(), shadow: emptySide(), same: 0, diff: 0, fallback: 0 };
}

/** Bucket i holds latencies below FIRST_MS * FACTOR^(i+1); the last one holds everything above. */
export function latencyBucket(ms: number): number {
  if (!(ms > FIRST_MS)) return 0;
  return Math.min(LATENCY_BUCKETS - 1, Math.floor(Math.log(ms / FIRST_MS) / LOG_FACTOR));
}

function bucketBounds(i: number): [number, number] {
  return [i === 0 ? 0 : FIRST_MS * FACTOR ** i, FIRST_MS * FACTOR ** (i + 1)];
}

export function recordInto(side: SideEvidence, ms: number, error: boolean): void {
  side.requests++;
  if (error) side.errors++;
  side.latency[latencyBucket(ms)]++;
}

/** Adds `from` into `into` (both mutable accumulators). */
export function addEvidence(into: Evidence, from: Evidence): Evidence {
  for (const s of SIDES) {
    into[s].requests += from[s].requests;
    into[s].errors += from[s].errors;
    for (let i = 0; i < LATENCY_BUCKETS; i++) into[s].latency[i] += from[s].latency[i];
  }
  into.same += from.same;
  into.diff += from.diff;
  into.fallback += from.fallback;
  return into;
}

/** The q-quantile in ms, interpolated inside its bucket; undefined without any sample. */
export function quantileMs(side: SideEvidence, q: number): number | undefined {
  const total = side.latency.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < LATENCY_BUCKETS; i++) {
    const n = side.latency[i];
    if (n === 0) continue;
    if (seen + n >= rank) {
      const [lo, hi] = bucketBounds(i);
      return lo + ((hi - lo) * (rank - seen)) / n;
    }
    seen += n;
  }
  return bucketBounds(LATENCY_BUCKETS - 1)[1];
}

export function errorRate(side: SideEvidence): number {
  return side.requests ? side.errors / side.requests : 0;
}

/** The store's hash fields of one bucket: only what is not zero (`l.n`, `n.e`, `s.h12`, `same`, ...). */
export function toFields(ev: Evidence): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of SIDES) {
    const p = PREFIX[s];
    const side = ev[s];
    if (side.requests) out[`${p}.n`] = side.requests;
    if (side.errors) out[`${p}.e`] = side.errors;
    side.latency.forEach((n, i) => {
      if (n) out[`${p}.h${i}`] = n;
    });
  }
  if (ev.same) out.same = ev.same;
  if (ev.diff) out.diff = ev.diff;
  if (ev.fallback) out.fallback = ev.fallback;
  return out;
}

const SIDE_OF: Record<string, SideName> = { l: 'legacy', n: 'new', s: 'shadow' };

/** Reads a bucket back; unknown or malformed fields are ignored (a newer version may add some). */
export function fromFields(fields: Record<string, number>): Evidence {
  const ev = emptyEvidence();
  for (const [name, value] of Object.entries(fields)) {
    if (!Number.isFinite(value) || value < 0) continue;
    if (name === 'same' || name === 'diff' || name === 'fallback') {
      ev[name] += value;
      continue;
    }
    const m = /^([lns])\.(n|e|h(\d+))$/.exec(name);
    if (!m) continue;
    const side = ev[SIDE_OF[m[1]]];
    if (m[2] === 'n') side.requests += value;
    else if (m[2] === 'e') side.errors += value;
    else if (Number(m[3]) < LATENCY_BUCKETS) side.latency[Number(m[3])] += value;
  }
  return ev;
}

/** What a decision shows of its evidence (admin API, log lines). */
export interface EvidenceSummary {
  requests: number;
  errors: number;
  error_rate: number;
  p95_ms: number | null;
  legacy_requests: number;
  legacy_p95_ms: number | null;
  compared: number;
  diff: number;
  diff_rate: number | null;
}

const round = (n: number | undefined, digits = 3) =>
  n === undefined ? null : Math.round(n * 10 ** digits) / 10 ** digits;

/** `judged` is the new side's sample of this step: shadow copies at step 0, client requests after. */
export function summarize(ev: Evidence, judged: SideName, legacyP95Ms: number | undefined): EvidenceSummary {
  const side = ev[judged];
  const compared = ev.same + ev.diff;
  return {
    requests: side.requests,
    errors: side.errors,
    error_rate: round(errorRate(side), 4)!,
    p95_ms: round(quantileMs(side, 0.95)),
    legacy_requests: ev.legacy.requests,
    legacy_p95_ms: round(legacyP95Ms),
    compared,
    diff: ev.diff,
    diff_rate: compared ? round(ev.diff / compared, 4) : null,
  };
}
