/**
 * The snapshot `GET /admin/events` sends every second: the admin API's own bodies (docs/operations.md "Admin API"),
 * typed as far as the console reads them. Fields the gateway may leave out are optional.
 */
export type Source = 'env' | 'admin' | 'file' | 'rollout';

export interface Flag {
  value: boolean;
  source: Source;
}

export interface Flags {
  route_all_to_legacy: Flag;
  cache_enabled: Flag;
}

export interface SideQuality {
  error_rate: number;
  p95_ms: number | null;
}

export interface ServedCluster {
  window_s: number;
  legacy: number;
  new: number;
  fallback: number;
  total: number;
  share: { legacy: number; new: number; fallback: number };
  quality: { legacy: SideQuality; new: SideQuality };
}

export interface RouteInfo {
  id: string;
  path: string;
  target: string;
  in_force: string;
  /** Absent on a route that always targets legacy (it has no side to change). */
  weights?: { legacy: number; new: number; source: Source };
  rollback?: { value: boolean; source: Source };
  fallback?: { statuses: number[] } | null;
  breaker?: string | null;
  shadow?: { to: string; ignore?: string[] } | null;
  served?: { legacy: number; new: number; fallback: number; total: number };
  served_cluster?: ServedCluster | null;
}

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

export interface Decision {
  at: string;
  decision: string;
  by: string;
  step: number;
  weight: number;
  gate?: string;
  detail?: string;
  evidence?: EvidenceSummary;
}

export type RolloutStateName = 'idle' | 'running' | 'paused' | 'rolled_back' | 'complete';

export interface RolloutInfo {
  route: string;
  state: RolloutStateName;
  step: number | null;
  steps: number[];
  weight: number | null;
  in_force: { side: string; weights: { legacy: number; new: number; source: Source } | null };
  step_started_at: string | null;
  step_interval_s: number;
  min_requests: number;
  gates: Record<string, number>;
  on_failure: string;
  evidence: EvidenceSummary | null;
  reason: string | null;
  legacy_retirable: boolean;
  decisions: Decision[];
}

export interface CapturedSide {
  side: string;
  status: number;
  headers: Record<string, unknown>;
  /** JSON usually, cut at 2 KiB. */
  body: string;
}

export interface ShadowDiff {
  at: string;
  route: string;
  method: string;
  path: string;
  primary: CapturedSide;
  shadow: CapturedSide;
  differences: { path: string; primary: unknown; shadow: unknown }[];
  /** The route's `ignore` paths as written (`$.generated_at`). */
  ignored?: string[];
  /** Paths that differed between two answers of the primary (the noise filter removed them). */
  noise?: string[];
}

export interface Snapshot {
  at: string;
  instance: string;
  flags: Flags;
  routes: RouteInfo[];
  rollouts: RolloutInfo[];
  shadow: ShadowDiff[];
  instances: { id: string; seen_at: string }[];
  /** The parts the store did not answer for this time (sent empty); absent when every part answered. */
  unavailable?: string[];
}
