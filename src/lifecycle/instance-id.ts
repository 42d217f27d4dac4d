import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * This process's name among the gateway's instances: the rollout judge's lease and decisions (src/rollout) and the
 * console's list of instances (src/console) use the same one. The host and pid say where it runs; the random tail
 * tells apart a restarted process that got the same pid in a fresh container.
 */
export const INSTANCE_ID = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
