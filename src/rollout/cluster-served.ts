import type { KeyValueStore } from '../store/key-value-store';
import { addEvidence, emptyEvidence, fromFields } from './evidence';
import { evidenceKey } from './evidence-recorder';

/** The stretch `GET /admin/routes` shows as `served_cluster`: the last five minutes. */
export const SHARE_WINDOW_S = 300;

export interface ClusterServed {
  window_s: number;
  legacy: number;
  new: number;
  fallback: number;
  total: number;
  share: { legacy: number; new: number; fallback: number };
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
  const keys = Array.from({ length: windowS }, (_, i) => evidenceKey(route, last - i));
  const sum = emptyEvidence();
  for (const fields of await store.readCounts(keys)) addEvidence(sum, fromFields(fields));
  const fallback = sum.fallback;
  const counts = { legacy: sum.legacy.requests, new: sum.new.requests - fallback, fallback };
  const total = counts.legacy + counts.new + counts.fallback;
  const share = (n: number) => (total ? Math.round((n / total) * 10_000) / 10_000 : 0);
  return {
    window_s: windowS,
    ...counts,
    total,
    share: { legacy: share(counts.legacy), new: share(counts.new), fallback: share(counts.fallback) },
  };
}
