import type { IncomingMessage } from 'node:http';
import { startCountingUpstream, type CountingUpstream } from './counting-upstream';
import type { Child } from './child';
import { send, type RawResponse } from './http';
import { admin } from './migration';

/** What the clients of a background load saw. */
export interface LoadResult {
  /** Answers by HTTP status. */
  statuses: Record<number, number>;
  /** Answers by the side that gave them (legacy or new), from the JSON body's `side` or the `x-side` header. */
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
      // The body's `side` (sideUpstream, newSide), else the `x-side` header (twinUpstream answers the same JSON).
      const body = res.headers['content-type']?.includes('json') ? res.json() : undefined;
      const side = String(body?.side ?? res.headers['x-side'] ?? 'none');
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

/** How many answers had a 5xx status, plus the requests that got none. */
export function serverErrors(seen: LoadResult): number {
  let n = seen.failed;
  for (const [status, count] of Object.entries(seen.statuses)) if (Number(status) >= 500) n += count;
  return n;
}

export interface TwinUpstream extends CountingUpstream {
  /** Requests that were not shadow copies (no `x-figway-shadow` header): what clients were sent to this side. */
  clientHits(): number;
}

/**
 * One side of a rolled-out route. Both sides answer the same JSON (so shadow copies compare `same`) and say who
 * they are in the `x-side` header, which the shadow comparison does not look at. `delayMs` and `status` are read
 * per request, so a test can slow a side down or make it fail while traffic runs.
 */
export async function twinUpstream(
  side: 'legacy' | 'new',
  opts: { delayMs?: () => number; status?: () => number } = {},
): Promise<TwinUpstream> {
  let clients = 0;
  const upstream = await startCountingUpstream((req, res) => {
    if (req.headers['x-figway-shadow'] === undefined) clients++;
    const answer = () => {
      res.statusCode = opts.status?.() ?? 200;
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-side', side);
      res.end(JSON.stringify({ items: [1, 2, 3], path: req.url?.split('?')[0] }));
    };
    const delay = opts.delayMs?.() ?? 0;
    if (delay > 0) setTimeout(answer, delay);
    else answer();
  });
  return { ...upstream, clientHits: () => clients };
}

/** A browser-like client: keeps the `figway_bucket` cookie the gateway sets on its first answer. */
export class StickyClient {
  cookie?: string;
  /** The side that answered each request, in order. */
  readonly sides: string[] = [];

  async get(url: string): Promise<RawResponse> {
    const res = await send(url, { headers: this.cookie ? { cookie: this.cookie } : {} });
    const set = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('figway_bucket='));
    if (set) this.cookie = set.split(';')[0];
    this.sides.push(String(res.headers['x-side']));
    return res;
  }
}

/** `GET /admin/rollouts/:route` as rolloutOf returns it, typed for the fields a test reads. */
export interface EvidenceView {
  requests: number;
  errors: number;
  error_rate: number;
  p95_ms: number | null;
  legacy_requests: number;
  legacy_p95_ms: number | null;
  compared: number;
  diff: number;
  diff_rate: number | null;
}

export interface DecisionView {
  at: string;
  decision: string;
  by: string;
  step: number;
  weight: number;
  gate?: string;
  detail?: string;
  evidence?: EvidenceView;
}

export interface RolloutView {
  route: string;
  state: string;
  step: number | null;
  steps: number[];
  weight: number | null;
  in_force: { side: string; weights: { legacy: number; new: number; source: string } | null };
  evidence: EvidenceView | null;
  reason: string | null;
  legacy_retirable: boolean;
  decisions: DecisionView[];
}
