import { send, type RawResponse } from './http';
import { ADMIN_TOKEN } from './migration';

/** The console's own header (src/console/session-cookie.ts): cookie-authenticated changes carry it. */
export const CONSOLE_HEADERS = { 'x-figway-console': '1' };

/** POST /admin/session as the sign-in page does; `headers` replace the console header when given. */
export function postSession(base: string, body: unknown, headers: Record<string, string> = CONSOLE_HEADERS) {
  return send(`${base}/admin/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** The Set-Cookie of an answer, split into the pair and its attributes (names lowercased). */
export function parseSetCookie(res: RawResponse): { name: string; value: string; attrs: Map<string, string> } {
  const raw = res.headers['set-cookie'];
  if (!raw || raw.length !== 1) throw new Error(`expected one Set-Cookie, got ${JSON.stringify(raw)}`);
  const [pair, ...rest] = raw[0].split(';').map((s) => s.trim());
  const eq = pair.indexOf('=');
  const attrs = new Map<string, string>();
  for (const a of rest) {
    const i = a.indexOf('=');
    attrs.set((i < 0 ? a : a.slice(0, i)).toLowerCase(), i < 0 ? '' : a.slice(i + 1));
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attrs };
}

/** Signs in with the test's ADMIN_TOKEN and returns the Cookie header value the browser would send back. */
export async function signIn(base: string): Promise<string> {
  const res = await postSession(base, { token: ADMIN_TOKEN });
  if (res.status !== 204) throw new Error(`sign-in answered ${res.status}: ${res.body.toString()}`);
  const { name, value } = parseSetCookie(res);
  return `${name}=${value}`;
}

/** A request with the session cookie (and whatever else a test adds), as the console's page script sends it. */
export function withCookie(
  base: string,
  cookie: string,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<RawResponse> {
  return send(`${base}${path}`, {
    method,
    headers: {
      cookie,
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...opts.headers,
    },
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
  });
}
