import { startCountingUpstream, type CountingUpstream } from './counting-upstream';
import { send, type RawResponse } from './http';
import { admin } from './migration';

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

export interface Load {
  /** Every status the clients got, with how many times. */
  statuses: Map<number, number>;
  /** The first few 5xx answers, for the failure message. */
  failures: string[];
  total(): number;
  stop(): Promise<void>;
}

/**
 * A modest background load: `width` clients in a loop, each request a new user (no cookie), spread over `urls`
 * round robin. `pauseMs` between a client's requests bounds the rate (width / pauseMs) on a shared machine.
 */
export function backgroundLoad(urls: string[], opts: { width?: number; pauseMs?: number } = {}): Load {
  const statuses = new Map<number, number>();
  const failures: string[] = [];
  let running = true;
  let next = 0;
  const one = async () => {
    const url = urls[next++ % urls.length];
    const res = await send(url, { timeoutMs: 10_000 }).catch((err: Error) => ({ status: 0, body: err.message }));
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if ((res.status === 0 || res.status >= 500) && failures.length < 5)
      failures.push(`${url}: ${res.status} ${res.body}`);
  };
  const client = async () => {
    while (running) {
      await one();
      // Pacing, not waiting for an event: it only keeps the rate modest.
      await new Promise((r) => setTimeout(r, opts.pauseMs ?? 25));
    }
  };
  const clients = Array.from({ length: opts.width ?? 6 }, client);
  return {
    statuses,
    failures,
    total: () => [...statuses.values()].reduce((a, b) => a + b, 0),
    stop: async () => {
      running = false;
      await Promise.all(clients);
    },
  };
}

/** How many answers had a 5xx status, or no status at all (a failed exchange). */
export function serverErrors(load: Load): number {
  let n = 0;
  for (const [status, count] of load.statuses) if (status === 0 || status >= 500) n += count;
  return n;
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

/** GET /admin/rollouts/:route, failing loudly on anything but 200. */
export async function rolloutOf(base: string, route: string): Promise<RolloutView> {
  const res = await admin(base, 'GET', `/admin/rollouts/${route}`);
  if (res.status !== 200) throw new Error(`GET /admin/rollouts/${route}: ${res.status} ${res.body.toString()}`);
  return res.json<RolloutView>();
}

/** The value of one sample of /metrics, e.g. `gateway_rollout_state{route="reports",state="complete"}`. */
export async function metricSample(base: string, sample: string): Promise<number | undefined> {
  const text = (await send(`${base}/metrics`)).body.toString();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

/** The JSON log lines of one route's rollout decisions on a gateway's stdout, oldest first. */
export function decisionLogLines(stdout: string, route: string): { msg: string; rollout: Record<string, unknown> }[] {
  const out: { msg: string; rollout: Record<string, unknown> }[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed = JSON.parse(line) as { msg?: string; rollout?: { route?: string } };
      if (parsed.rollout?.route === route && typeof parsed.msg === 'string')
        out.push(parsed as { msg: string; rollout: Record<string, unknown> });
    } catch {
      // not a JSON line
    }
  }
  return out;
}
