import { splitUpstreamUrl } from '../config/upstream-url';

export type Target =
  | { kind: 'legacy' }
  | { kind: 'module'; module: string }
  /** `url`: the origin plus the path prefix every request path goes under ('' none), as routes.yaml normalised it. */
  | { kind: 'upstream'; origin: string; url: string };

export function parseTarget(spec: string): Target {
  if (spec === 'legacy') return { kind: 'legacy' };
  if (spec.startsWith('module:')) return { kind: 'module', module: spec.slice('module:'.length) };
  const { origin, prefix } = splitUpstreamUrl(spec);
  return { kind: 'upstream', origin, url: origin + prefix };
}

/** The metrics/log label of a target: bounded, never a raw URL path. */
export function targetLabel(t: Target): string {
  if (t.kind === 'legacy') return 'legacy';
  if (t.kind === 'module') return `module:${t.module}`;
  return t.origin;
}
