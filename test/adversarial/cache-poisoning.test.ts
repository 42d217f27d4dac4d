import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startRecordingUpstream, type Received } from '../support/recording-upstream';

// Web cache poisoning: an attacker sends a request whose unkeyed fields change what legacy answers, the answer is
// stored under the plain URL, and every later visitor gets the attacker's version. The upstream here behaves like
// the frameworks that honour those fields (it reflects X-Forwarded-Host into links, serves X-Original-URL and obeys
// X-HTTP-Method-Override), and marks everything public for 60 s: the gateway is the only defence.

let up: Awaited<ReturnType<typeof startRecordingUpstream>>;
let gw: RunningGateway;

function legacyLike(r: Received) {
  const one = (k: string) => r.fields.get(k)?.[0];
  const path = one('x-original-url') ?? one('x-rewrite-url') ?? r.url;
  const method = one('x-http-method-override') ?? one('x-method-override') ?? r.method;
  const headers: Record<string, string | string[]> = { 'cache-control': 'public, max-age=60' };
  if (r.url.includes('/login')) headers['set-cookie'] = [`session=${one('x-user') ?? 'anon'}; HttpOnly`, 'csrf=t1'];
  return {
    headers,
    body: JSON.stringify({
      link: `${one('x-forwarded-proto')}://${one('x-forwarded-host')}${path}`,
      method,
      path,
      user: one('x-user'),
    }),
  };
}

before(async () => {
  up = await startRecordingUpstream(legacyLike);
  const routes = routesFile(`
routes:
  - { id: shared, path: /api/v1/shared/*, target: legacy, cache: { with_credentials: true } }
`);
  gw = await startGateway({ LEGACY_URL: up.url, ROUTES_FILE: routes, RATE_LIMIT: 'off', CACHE_ENABLED: 'true' });
});
after(async () => {
  await gw?.stop();
  await up?.close();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  send(`${gw.url}${path}`, { headers: { host: 'shop.example', ...headers } });

const poisons: [string, Record<string, string>, (body: any) => void][] = [
  [
    'X-Forwarded-Host',
    { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https', forwarded: 'host=evil.example' },
    (b) => assert.equal(b.link.includes('evil'), false),
  ],
  [
    'X-Original-URL / X-Rewrite-URL',
    { 'x-original-url': '/api/v1/admin/users', 'x-rewrite-url': '/api/v1/admin/users' },
    (b) => assert.doesNotMatch(b.path, /admin/),
  ],
  [
    'X-HTTP-Method-Override',
    { 'x-http-method-override': 'DELETE', 'x-method-override': 'DELETE' },
    (b) => assert.equal(b.method, 'GET'),
  ],
];

for (const [name, attack, unpoisoned] of poisons) {
  test(`${name} from an attacker is not what legacy acts on, and the next visitor's cached page is clean`, async () => {
    const path = `/api/v1/page-${name.replace(/\W+/g, '-')}`;
    up.received.length = 0;
    const first = await get(path, attack);
    assert.equal(first.status, 200);
    for (const k of Object.keys(attack)) {
      const got = up.received[0].fields.get(k) ?? [];
      assert.ok(!got.includes(attack[k]), `legacy received ${k}: ${attack[k]}`);
    }
    unpoisoned(first.json());
    const victim = await get(path);
    assert.equal(
      victim.headers['x-cache'],
      'HIT',
      "the attacker's request did fill the cache, so this is the entry a victim gets",
    );
    unpoisoned(victim.json());
  });
}

test('an override field cannot turn a cached GET into an unsafe method at legacy even on a credentials-sharing route', async () => {
  up.received.length = 0;
  await get('/api/v1/shared/item', { 'x-http-method-override': 'DELETE', authorization: 'Bearer x' });
  assert.deepEqual(
    up.received.map((r) => [r.method, r.fields.get('x-http-method-override')]),
    [['GET', undefined]],
  );
});

test('a response with Set-Cookie is never served to another client, even where credentials share entries', async () => {
  for (const path of ['/api/v1/login', '/api/v1/shared/login']) {
    up.received.length = 0;
    const a = await get(path, { 'x-user': 'alice', cookie: 'c=1' });
    const b = await get(path, { 'x-user': 'mallory' });
    assert.equal(up.received.length, 2, `${path}: both requests reached legacy`);
    assert.notEqual(b.headers['x-cache'], 'HIT');
    assert.ok(!(b.headers['set-cookie'] ?? []).some((c) => c.includes('alice')), `${path}: mallory got alice's cookie`);
    assert.ok((a.headers['set-cookie'] ?? []).some((c) => c.includes('alice')));
  }
});
