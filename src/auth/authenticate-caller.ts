import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyContextConfig } from 'fastify';
import { GatewayError } from '../errors/gateway-error';
import { AuthFailure } from './auth-failure';
import type { AuthService, Identity } from './auth.service';
import { crossSiteRefused } from './csrf';

/** Where the auth stage leaves what it found: a Fastify request (request-slots.ts) or an upgrade exchange. */
export interface Caller {
  figwayUser: Identity | undefined;
  figwayRolledBack: boolean;
}

/** What the stage reads from a route: its `auth:` mode and, on a new-side route, the rollback probe. */
export type AuthRule = Pick<FastifyContextConfig, 'auth' | 'rolledBack'>;

/**
 * The auth stage's decision, the same for a request and a WebSocket upgrade: the refusal, or undefined when the
 * caller may go on (with `figwayUser` set when it proved who it is).
 *
 * A rollback sends a new-side route to legacy, which then authenticates as it did before the migration (its own
 * session; the rollback runbook must not depend on gateway credentials): the route is `auth: optional` meanwhile,
 * valid credentials still naming the user upstream, and `figwayRolledBack` keeps the caller on legacy even if the
 * rollback ends before the side is chosen. Routes that target legacy keep their `auth:`, which guards legacy itself.
 *
 * Cookie-authenticated changes must come from the same origin (csrf.ts). `method` is what that check judges: an
 * upgrade is judged as an unsafe method, since a browser sends cookies with a cross-site upgrade as with any GET and
 * that is how cross-site WebSocket hijacking works (RFC 6455 10.2: servers check Origin).
 */
export async function authenticateCaller(
  auth: AuthService,
  rule: AuthRule,
  caller: Caller,
  headers: IncomingHttpHeaders,
  method: string,
  what: 'change' | 'upgrade',
): Promise<unknown> {
  let mode = rule.auth;
  if (rule.rolledBack?.()) {
    caller.figwayRolledBack = true;
    mode = 'optional';
  }
  try {
    const identity = await auth.authenticate(headers);
    if (identity.method === 'legacy_session' && crossSiteRefused(method, headers)) {
      return new GatewayError('CSRF_REJECTED', `A cookie-authenticated ${what} must come from the same origin.`);
    }
    caller.figwayUser = identity;
    return undefined;
  } catch (err) {
    return mode === 'optional' && err instanceof AuthFailure ? undefined : err;
  }
}
