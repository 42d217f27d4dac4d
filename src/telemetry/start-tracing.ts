import { startTracing } from './tracing';

/**
 * Imported for its side effect as the first import of main.ts. TypeScript emits imports in order as requires, and
 * ES import semantics run a module's imports before its body, so starting the SDK here (rather than in main.ts's
 * body, after the other imports have loaded ioredis) is what lets the instrumentations hook in first.
 */
export const tracing = startTracing();
