import type { GatewayConfig, RouteSpec } from '../config';
import { compileRewrite, identity, type PathRewrite } from './path-rewrite';
import { parseTarget, targetLabel, type Target } from './target';

export interface CompiledRoute {
  id: string;
  /** Router patterns claimed by this route; a `/x/*` route also claims `/x`. */
  patterns: string[];
  methods: readonly string[] | 'ALL';
  /** What routes.yaml asked for. */
  declared: Target;
  /** What is in force after the flags (ROUTE_ALL_TO_LEGACY). */
  target: Target;
  targetLabel: string;
  rewrite: PathRewrite;
  preserveHost: boolean;
  timeoutMs: number;
  /** Largest request body forwarded (routes.yaml `body_limit`); undefined: unlimited. */
  bodyLimit?: number;
  auth?: 'required' | 'optional';
  /** Response cache options; undefined when the route opted out. */
  cache?: { ttlS?: number; withCredentials: boolean };
}

/**
 * Paths the gateway answers itself, whatever routes.yaml says. `/admin` is the console's page (src/console), as
 * `/admin/` is: not a module route, so ROUTE_ALL_TO_LEGACY never sends it to legacy.
 */
export const GATEWAY_OWN_PATHS = ['/health', '/health/ready', '/metrics', '/csp-report', '/admin'];
const OWN_PREFIXES = ['/admin/'];

export function isGatewayOwnPath(path: string): boolean {
  return GATEWAY_OWN_PATHS.includes(path) || OWN_PREFIXES.some((p) => path.startsWith(p));
}

export const CATCH_ALL_ID = 'legacy-catch-all';

function compileOne(spec: RouteSpec, config: GatewayConfig): CompiledRoute {
  const declared = parseTarget(spec.target);
  const target: Target = config.routeAllToLegacy ? { kind: 'legacy' } : declared;
  const rewrite = target.kind === 'legacy' ? compileRewrite(spec.path, spec.legacy_path) : identity;
  const bare = spec.path.endsWith('/*') ? spec.path.slice(0, -2) : undefined;
  return {
    id: spec.id,
    patterns: bare ? [bare || '/', spec.path] : [spec.path],
    methods: spec.methods ?? 'ALL',
    declared,
    target,
    targetLabel: targetLabel(target),
    rewrite,
    preserveHost: (spec.host ?? 'client') === 'client',
    timeoutMs: spec.timeout_ms ?? config.upstream.timeoutMs,
    bodyLimit: spec.body_limit,
    auth: spec.auth,
    cache:
      spec.cache === 'off'
        ? undefined
        : { ttlS: spec.cache?.ttl_s, withCredentials: spec.cache?.with_credentials ?? false },
  };
}

export interface RouteTable {
  routes: CompiledRoute[];
  catchAll: CompiledRoute;
  /** Used only off the hot path (WebSocket upgrades): the HTTP routes are matched by the router itself. */
  match(path: string, method: string): CompiledRoute;
}

function specificity(pattern: string): number {
  if (pattern.endsWith('/*')) return pattern.length;
  return 10_000 + pattern.length - (pattern.includes(':') ? 5_000 : 0);
}

function patternMatches(pattern: string, path: string): boolean {
  if (pattern.endsWith('/*')) return path.startsWith(pattern.slice(0, -1));
  if (!pattern.includes(':')) return pattern === path;
  const a = pattern.split('/');
  const b = path.split('/');
  return a.length === b.length && a.every((seg, i) => (seg.startsWith(':') ? b[i] !== '' : seg === b[i]));
}

export function compileRouteTable(config: GatewayConfig, knownModules: ReadonlySet<string>): RouteTable {
  const unknown = config.routes
    .map((r) => parseTarget(r.target))
    .filter((t): t is Extract<Target, { kind: 'module' }> => t.kind === 'module' && !knownModules.has(t.module));
  if (unknown.length) {
    throw new Error(`routes.yaml names unknown module(s): ${[...new Set(unknown.map((t) => t.module))].join(', ')}`);
  }
  const routes = config.routes.map((r) => compileOne(r, config));
  const catchAll: CompiledRoute = {
    id: CATCH_ALL_ID,
    patterns: ['/*'],
    methods: 'ALL',
    declared: { kind: 'legacy' },
    target: { kind: 'legacy' },
    targetLabel: 'legacy',
    rewrite: identity,
    preserveHost: true,
    timeoutMs: config.upstream.timeoutMs,
    cache: { withCredentials: false },
  };
  const ordered = routes
    .flatMap((r) => r.patterns.map((p) => ({ p, r })))
    .sort((x, y) => specificity(y.p) - specificity(x.p));
  const allows = (r: CompiledRoute, method: string) => r.methods === 'ALL' || r.methods.includes(method);
  return {
    routes,
    catchAll,
    match(path, method) {
      return ordered.find(({ p, r }) => allows(r, method) && patternMatches(p, path))?.r ?? catchAll;
    },
  };
}
