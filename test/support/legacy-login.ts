import { send } from './http';

/** Signs in on the legacy app through the given base URL; returns the Cookie header value to send back. */
export async function legacyLogin(baseUrl: string, username = 'alice', password = 'wonderland'): Promise<string> {
  const res = await send(`${baseUrl}/api/v1/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`legacy login failed: ${res.status} ${res.body}`);
  return (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
}
