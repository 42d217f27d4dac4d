/** Shared between the signal handler (outside DI) and readiness (inside it). */
export class Lifecycle {
  shuttingDown = false;
}

export const LIFECYCLE = Symbol('LIFECYCLE');
