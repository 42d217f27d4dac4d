import type { MigrationControl } from '../migration/migration-control';
import type { RolloutService } from '../rollout/rollout.service';
import type { InstanceBeacon } from './instances';

/** One `event: snapshot` of GET /admin/events: the bodies of the admin API's GETs, at one moment, in one object. */
export interface ConsoleSnapshot {
  at: string;
  instance: string;
  flags: ReturnType<MigrationControl['describeFlags']>;
  routes: Awaited<ReturnType<MigrationControl['describeRoutesAcrossCluster']>>['routes'];
  rollouts: Awaited<ReturnType<RolloutService['list']>>['rollouts'];
  shadow: ReturnType<MigrationControl['shadow']['recent']>;
  instances: Awaited<ReturnType<InstanceBeacon['seen']>>;
  /** The parts the store did not answer for this time (shown empty); absent when every part answered. */
  unavailable?: string[];
}

export interface SnapshotSources {
  control: MigrationControl;
  rollouts: RolloutService;
  instances: InstanceBeacon;
}

/**
 * The services behind GET /admin/flags, /admin/routes, /admin/rollouts and /admin/shadow, asked directly (no HTTP
 * round trip through the gateway itself). A part that needs the store and does not get it is sent empty and named
 * in `unavailable`, so the console says so rather than losing the whole picture. (`served_cluster` is already
 * null per route when the store is away: MigrationControl.describeRoutesAcrossCluster.)
 */
export async function buildSnapshot(s: SnapshotSources): Promise<ConsoleSnapshot> {
  const unavailable: string[] = [];
  const soft = <T>(name: string, work: Promise<T>, empty: T): Promise<T> =>
    work.catch(() => {
      unavailable.push(name);
      return empty;
    });
  const [routes, rollouts, instances] = await Promise.all([
    s.control.describeRoutesAcrossCluster(),
    soft('rollouts', s.rollouts.list(), { rollouts: [] }),
    soft('instances', s.instances.seen(), []),
  ]);
  return {
    at: new Date().toISOString(),
    instance: s.instances.id,
    flags: s.control.describeFlags(),
    routes: routes.routes,
    rollouts: rollouts.rollouts,
    shadow: s.control.shadow.recent(),
    instances,
    ...(unavailable.length ? { unavailable: unavailable.sort() } : {}),
  };
}
