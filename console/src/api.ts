import { problemWords, type Problem } from './words';

/** A refusal of the admin API, already put in words for the page. */
export class ActionError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/**
 * One change through the admin API, the same endpoints curl uses (docs/operations.md "Admin API"). The session
 * cookie rides along (same origin); `X-Figway-Console` is the header a cookie-authenticated change must carry: a
 * custom header needs a CORS preflight, which another origin cannot pass.
 */
export async function act(method: 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: { 'x-figway-console': '1', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ActionError(`The gateway did not answer (${(err as Error).message}). Nothing is known to have changed.`);
  }
  const text = await res.text();
  const parsed: unknown = text ? safeJson(text) : undefined;
  if (res.ok) return parsed;
  const problem = (
    parsed && typeof parsed === 'object' ? parsed : { status: res.status, title: res.statusText }
  ) as Problem;
  throw new ActionError(problemWords({ status: res.status, ...problem }), problem.code);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const setFlag = (routeAllToLegacy: boolean | null) =>
  act('PUT', '/admin/flags', { route_all_to_legacy: routeAllToLegacy });

export const setWeights = (route: string, newWeight: number | null) =>
  act('PUT', `/admin/routes/${encodeURIComponent(route)}`, {
    weights: newWeight === null ? null : { legacy: 100 - newWeight, new: newWeight },
  });

/** `null` removes the console's override (back to routes.yaml); `false` overrides a file that says `rollback: true`. */
export const setRollback = (route: string, value: boolean | null) =>
  act('PUT', `/admin/routes/${encodeURIComponent(route)}`, { rollback: value });

export type RolloutAction = 'start' | 'pause' | 'resume' | 'promote' | 'abort';

export const rolloutAction = (route: string, action: RolloutAction) =>
  act('POST', `/admin/rollouts/${encodeURIComponent(route)}/${action}`);
