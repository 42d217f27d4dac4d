export type Target =
  | { kind: 'legacy' }
  | { kind: 'module'; module: string }
  | { kind: 'upstream'; origin: string };

export function parseTarget(spec: string): Target {
  if (spec === 'legacy') return { kind: 'legacy' };
  if (spec.startsWith('module:')) return { kind: 'module', module: spec.slice('module:'.length) };
  return { kind: 'upstream', origin: new URL(spec).origin };
}

/** The metrics/log label of a target: bounded, never a raw URL path. */
export function targetLabel(t: Target): string {
  if (t.kind === 'legacy') return 'legacy';
  if (t.kind === 'module') return `module:${t.module}`;
  return t.origin;
}
