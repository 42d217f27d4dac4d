import type { IncomingMessage } from 'node:http';
import { startCountingUpstream, type CountingUpstream } from './counting-upstream';
import type { Child } from './child';
import { send } from './http';
import { admin } from './migration';

/** What the clients of a background load saw. */
export interface LoadResult {
  /** Answers by HTTP status. */
  statuses: Record<number, number>;
  /** Answers by the `side` their JSON body named (legacy or new). */
  sides: Record<string, number>;
  /** Requests that got no answer (a connection refused or reset: an instance killed under them). */
  failed: number;
}

export interface Load {
  /** What was seen so far (live: read it while the load runs). */
  readonly seen: LoadResult;
  /** Stops sending and waits for the requests in flight. */
  stop(): Promise<LoadResult>;
}

/**
 * A modest background load for a rollout test: `width` requests in flight, each worker pausing `gapMs` between
 * two (width 6 and 20 ms: a few hundred per second at most; the machine is shared). Each request goes to the next
 * of `targets()` (read every time, so a test can drop an instance it killed) without a cookie: a new random user
 * each time, as the rollout's weight decides.
 */
export function backgroundLoad(targets: () => string[], path: string, width = 6, gapMs = 20): Load {
  const seen: LoadResult = { statuses: {}, sides: {}, failed: 0 };
  let running = true;
  let turn = 0;
  const one = async () => {
    const list = targets();
    const base = list[turn++ % list.length];
    try {
      const res = await send(`${base}${path}`, { timeoutMs: 10_000 });
      seen.statuses[res.status] = (seen.statuses[res.status] ?? 0) + 1;
      const side = res.headers['content-type']?.includes('json') ? String(res.json().side) : 'none';
      seen.sides[side] = (seen.sides[side] ?? 0) + 1;
    } catch {
      seen.failed++;
    }
  };
  const worker = async () => {
    while (running) {
      await one();
      // Pacing, not a wait for an event: it keeps the load modest.
      await new Promise((r) => setTimeout(r, gapMs));
    }
  };
  const workers = Array.from({ length: width }, worker);
  return {
    seen,
    async stop() {
      running = false;
      await Promise.all(workers);
      return seen;
    },
  };
}

/** The new side of a rollout test: JSON `{side, n, url}` like sideUpstream, keeping how many were shadow copies. */
export async function newSide(
  side = 'new',
): Promise<CountingUpstream & { shadowCopies: () => number; clientRequests: () => number }> {
  let copies = 0;
  let clients = 0;
  const up = await startCountingUpstream((req: IncomingMessage, res, n) => {
    // src/migration/shadow.ts marks every copy it sends to an http upstream with this header.
    if (req.headers['x-figway-shadow']) copies++;
    else clients++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ side, n, url: req.url }));
  });
  return Object.assign(up, { shadowCopies: () => copies, clientRequests: () => clients });
}

/** `GET /admin/rollouts/:route` as JSON (throws on anything but 200, with the body). */
export async function rolloutOf(base: string, route: string): Promise<any> {
  const res = await admin(base, 'GET', `/admin/rollouts/${route}`);
  if (res.status !== 200) throw new Error(`GET /admin/rollouts/${route}: ${res.status} ${res.body.toString()}`);
  return res.json();
}

/** `POST /admin/rollouts/:route/:action`, expecting 200; the rollout's view after it. */
export async function rolloutAction(base: string, route: string, action: string): Promise<any> {
  const res = await admin(base, 'POST', `/admin/rollouts/${route}/${action}`);
  if (res.status !== 200) throw new Error(`POST ${action}: ${res.status} ${res.body.toString()}`);
  return res.json();
}

/** The route's entry in `GET /admin/routes`. */
export async function routeOf(base: string, route: string): Promise<any> {
  const routes = (await admin(base, 'GET', '/admin/routes')).json().routes as { id: string }[];
  return routes.find((r) => r.id === route);
}

/** The JSON log lines a gateway wrote to stdout whose `rollout` field is a decision (src/rollout/rollout.service.ts). */
export function decisionLines(child: Child): any[] {
  const out: any[] = [];
  for (const line of child.stdout().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed = JSON.parse(line);
      if (parsed.rollout) out.push(parsed);
    } catch {
      // a line cut by the read: not a decision yet
    }
  }
  return out;
}

/** One sample of a gateway's /metrics (0 when absent), `labels` as written between the braces. */
export async function metric(base: string, name: string, labels: string): Promise<number> {
  const text = (await send(`${base}/metrics`)).body.toString();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line ? Number(line.split(' ').pop()) : 0;
}
