import type { KeyValueStore } from '../store/key-value-store';
import { canConnect } from './legacy-reachability';

export interface DependencyStates {
  /** The store answered PING (the in-memory store always does). */
  store: boolean;
  /** Per LEGACY_URL instance, in order: whether it accepts a TCP connection. */
  legacy: boolean[];
}

/** What readiness and gateway_dependency_up check; bounded by the Redis command timeout and 1 s per connect. */
export async function probeDependencies(store: KeyValueStore, legacyUrls: string[]): Promise<DependencyStates> {
  const [up, legacy] = await Promise.all([store.ping(), Promise.all(legacyUrls.map((u) => canConnect(u, 1_000)))]);
  return { store: up, legacy };
}
