import { send, type RawResponse } from './http';
import { startCountingUpstream, type CountingUpstream } from './counting-upstream';

export const ADMIN_TOKEN = 'an-admin-token-long-enough';

/** An upstream that says which side it is (JSON `{side, n, url}`), for telling legacy and the new side apart. */
export function sideUpstream(side: string, status = () => 200): Promise<CountingUpstream> {
  return startCountingUpstream((req, res, n) => {
    res.statusCode = status();
    res.setHeader('content-type', 'application/json');
    if (req.url?.includes('with-cookies')) res.setHeader('set-cookie', [`${side}-a=1`, `${side}-b=2`]);
    res.end(JSON.stringify({ side, n, url: req.url }));
  });
}

/** Runs `fn` over `items` with at most `width` in flight (the machine is shared: keep it modest). */
export async function inBatches<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

export function admin(base: string, method: string, path: string, body?: unknown): Promise<RawResponse> {
  return send(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
}

/** The `gateway_requests_total` samples of one route, as `target status -> count`. */
export async function requestCounts(base: string, route: string): Promise<Record<string, number>> {
  const text = (await send(`${base}/metrics`)).body.toString();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('gateway_requests_total{') || !line.includes(`route="${route}"`)) continue;
    const target = /target="([^"]*)"/.exec(line)![1];
    const status = /status="([^"]*)"/.exec(line)![1];
    out[`${target} ${status}`] = (out[`${target} ${status}`] ?? 0) + Number(line.split(' ').pop());
  }
  return out;
}

/** The shared poll-with-a-bound; imported from here by the migration tests that came first. */
export { waitFor } from './wait';
