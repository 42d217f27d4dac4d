import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../errors/gateway-error';
import { toProblem } from '../errors/problem';
import { sendProblem } from '../errors/problem-writer';
import { alternativeReadings, normalizePath } from './canonical-path';
import { splitTarget } from './path-rewrite';
import { isGatewayOwnPath, type RouteTable } from './route-table';

/**
 * Fastify's `rewriteUrl`: runs before the router, so the route, its limits and its auth are chosen on the
 * normalized path, and the forwarder (which reads `req.url`) sends that same path upstream. The query is untouched.
 * An asterisk-form target is left to the router (it matches nothing and falls to the catch-all).
 *
 * An absolute-form target (`GET http://x/api/v1/public/../admin/x`) is turned into origin-form here. Left as it
 * was, its dot segments were never resolved: the router chose the public route while legacy, which must read the
 * absolute path (RFC 9112 3.2.2), served `/api/v1/admin/x` without the auth its route requires. The same section
 * says the target's authority (less any userinfo) replaces `Host`, so routing, the cache key and legacy all see one
 * host.
 */
export function canonicalUrl(req: { url?: string; headers?: Record<string, string | string[] | undefined> }): string {
  let url = req.url ?? '/';
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url);
  if (absolute) {
    url = url.slice(absolute[0].length) || '/';
    if (url.charCodeAt(0) === 63 /* ? */) url = '/' + url;
    const authority = absolute[1].slice(absolute[1].lastIndexOf('@') + 1);
    if (req.headers && authority) req.headers.host = authority;
  }
  if (url.charCodeAt(0) !== 47 /* / */) return url;
  const [path, query] = splitTarget(url);
  const normalized = normalizePath(path);
  return normalized === path ? url : normalized + query;
}

/** Why a path is refused, or undefined when its every reading picks the route the path as written picks. */
export type PathCheck = (path: string, method: string) => string | undefined;

/**
 * Refuses a path that, read the way a lax upstream might (encoded slashes as `/`, escapes decoded, case folded,
 * `;parameters` dropped), would be decided by another route: otherwise `/api/v1%2Fadmin` or `/api/v1/admin;x/y` could
 * reach, through the catch-all, what a route guards under `/api/v1/admin` (the bypasses Envoy's
 * `path_with_escaped_slashes_action` and Spring's StrictHttpFirewall exist for). Unlike that firewall, a `;` that
 * keeps the route (`;jsessionid=` on an ordinary path) passes.
 */
export function compilePathCheck(table: RouteTable, foldedTable: RouteTable): PathCheck {
  const decide = (t: RouteTable, path: string, method: string) =>
    isGatewayOwnPath(path) ? 'gateway' : t.match(path, method).id;
  const capitals = table.routes.some((r) => r.patterns.some((p) => p !== p.toLowerCase()));
  return (path, method) => {
    const readings = alternativeReadings(path, capitals);
    if (readings === undefined) return undefined;
    if (readings === null) return 'The path has malformed percent-encoding.';
    const chosen = decide(table, path, method);
    if (readings.withoutParams !== undefined && decide(table, readings.withoutParams, method) !== chosen) {
      return 'Read without its `;` path parameters, as servlet containers read it, the path names another route; send the canonical path.';
    }
    // Case is compared against the route table folded the same way, so a route declared as /Users still serves
    // /Users while /USERS, which a case-blind upstream would serve as the same page, is refused.
    const ambiguous =
      (readings.decoded !== undefined && decide(table, readings.decoded, method) !== chosen) ||
      (readings.folded !== undefined && decide(foldedTable, readings.folded, method) !== chosen);
    return ambiguous
      ? 'Read with its escapes decoded or its letters folded, the path names another route; send the canonical path.'
      : undefined;
  };
}

/** The path check as the first onRequest hook, before auth and the rate limiter. */
export function installPathGuard(fastify: FastifyInstance, check: PathCheck): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const refusal = check(splitTarget(request.url)[0], request.method);
    if (refusal === undefined) return done();
    const problem = toProblem(new GatewayError('BAD_PATH', refusal), request.id);
    sendProblem(reply, problem);
  });
}

/** The routes with their paths in lower case, for the case-folded reading (the same table when none has capitals). */
export function foldRoutes<T extends { path: string }>(routes: T[]): T[] {
  return routes.map((r) => (r.path === r.path.toLowerCase() ? r : { ...r, path: r.path.toLowerCase() }));
}
