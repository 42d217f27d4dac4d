import type { KeyValueStore } from '../store/key-value-store';
import { addEvidence, emptyEvidence, errorRate, quantileMs, type SideEvidence } from './evidence';
import { readEvidence } from './evidence-recorder';

/** The stretch `GET /admin/routes` shows as `served_cluster`: the last five minutes. */
export const SHARE_WINDOW_S = 300;

export interface ClusterServed {
  window_s: number;
  legacy: number;
  new: number;
  fallback: number;
  total: number;
  share: { legacy: number; new: number; fallback: number };
  /** Per side: error rate (new side: 5xx, failed exchanges and fallbacks) and p95 in ms (null without requests). */
  quality: { legacy: SideQuality; new: SideQuality };
}

export interface SideQuality {
  error_rate: number;
  p95_ms: number | null;
}

function quality(side: SideEvidence): SideQuality {
  const p95 = quantileMs(side, 0.95);
  return {
    error_rate: Math.round(errorRate(side) * 10_000) / 10_000,
    p95_ms: p95 === undefined ? null : Math.round(p95 * 1000) / 1000,
  };
}

/**
 * Requests served per side of a route by all instances over the last `windowS` seconds, from the rollout
 * evidence buckets (src/rollout/evidence-recorder.ts): `new` is what the new side answered, `fallback` what legacy
 * answered for it. One round trip (the buckets of a route share a cluster slot); the current second is not flushed
 * yet and is left out.
 */
export async function clusterServed(
  store: KeyValueStore,
  route: string,
  nowMs: number,
  windowS = SHARE_WINDOW_S,
): Promise<ClusterServed> {
  const last = Math.floor(nowMs / 1000) - 1;
  const seconds = Array.from({ length: windowS }, (_, i) => last - i);
  const sum = emptyEvidence();
  for (const ev of await readEvidence(store, route, seconds)) addEvidence(sum, ev);
  const fallback = sum.fallback;
  const counts = { legacy: sum.legacy.requests, new: sum.new.requests - fallback, fallback };
  const total = counts.legacy + counts.new + counts.fallback;
  const share = (n: number) => (total ? Math.round((n / total) * 10_000) / 10_000 : 0);
  return {
    window_s: windowS,
    ...counts,
    total,
    share: { legacy: share(counts.legacy), new: share(counts.new), fallback: share(counts.fallback) },
    quality: { legacy: quality(sum.legacy), new: quality(sum.new) },
  };
}
