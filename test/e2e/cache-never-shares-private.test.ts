import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';

let upstream: CountingUpstream;
let gw: RunningGateway;
const seen = new Map<string, number>();
const hitsFor = (path: string) => seen.get(path) ?? 0;

/** Cache-Control per path prefix; every answer names the user it was made for. */
function cacheControlFor(path: string): string {
  if (path.includes('/private')) return 'private, max-age=60';
  if (path.includes('/nostore')) return 'no-store';
  return 'public, max-age=60';
}

before(async () => {
  upstream = await startCountingUpstream((req, res) => {
    const path = req.url ?? '/';
    const n = (seen.get(path) ?? 0) + 1;
    seen.set(path, n);
    const user = String(req.headers['x-user'] ?? 'anonymous');
    res.setHeader('content-type', 'text/plain');
    res.setHeader('cache-control', cacheControlFor(path));
    if (path.includes('/login')) res.setHeader('set-cookie', `session=${user}-${n}; HttpOnly`);
    res.end(`for ${user} #${n}`);
  });
  const routes = routesFile(`
routes:
  - { id: site, path: /site/*, target: legacy }
  - { id: shared-with-credentials, path: /cred/*, target: legacy, cache: { with_credentials: true } }
`);
  gw = await startGateway({ LEGACY_URL: upstream.url, ROUTES_FILE: routes, RATE_LIMIT: 'off' });
});
after(async () => {
  await gw?.stop();
  await upstream?.close();
});

async function asUsers(path: string, users: string[], extra: (user: string) => Record<string, string> = () => ({})) {
  const out = [];
  for (const user of users) out.push(await send(`${gw.url}${path}`, { headers: { 'x-user': user, ...extra(user) } }));
  return out;
}

for (const kind of ['private', 'nostore']) {
  test(`a ${kind === 'private' ? '"private"' : '"no-store"'} response is never served to anyone else: every user gets their own answer from the upstream`, async () => {
    const path = `/site/${kind}/profile`;
    const [a1, b1, a2, b2] = await asUsers(path, ['alice', 'bob', 'alice', 'bob']);
    assert.equal(a1.body.toString(), 'for alice #1');
    assert.equal(b1.body.toString(), 'for bob #2');
    assert.equal(a2.body.toString(), 'for alice #3');
    assert.equal(b2.body.toString(), 'for bob #4');
    for (const r of [a1, b1, a2, b2]) {
      assert.equal(r.status, 200);
      assert.notEqual(r.headers['x-cache'], 'HIT');
    }
    assert.equal(hitsFor(path), 4);
  });
}

test("a response that sets a cookie is never stored, so nobody gets another user's session", async () => {
  const path = '/site/login';
  const [a, b] = await asUsers(path, ['alice', 'bob']);
  assert.match(String(a.headers['set-cookie']), /^session=alice-1;/);
  assert.match(String(b.headers['set-cookie']), /^session=bob-2;/);
  assert.equal(b.body.toString(), 'for bob #2');
  assert.notEqual(b.headers['x-cache'], 'HIT');
  assert.equal(hitsFor(path), 2);
});

test('a request with a Cookie or Authorization bypasses the cache and is not served the stored entry', async () => {
  const path = '/site/catalog';
  const [warm, again] = await asUsers(path, ['anonymous', 'anonymous']);
  assert.equal(warm.headers['x-cache'], 'MISS');
  assert.equal(again.headers['x-cache'], 'HIT', 'the entry the credentialed requests must not see was not stored');
  const withCookie = await send(`${gw.url}${path}`, { headers: { 'x-user': 'alice', cookie: 'session=alice' } });
  assert.equal(withCookie.headers['x-cache'], 'BYPASS');
  assert.equal(withCookie.body.toString(), 'for alice #2');
  const withAuth = await send(`${gw.url}${path}`, { headers: { 'x-user': 'bob', authorization: 'Bearer bob-token' } });
  assert.equal(withAuth.headers['x-cache'], 'BYPASS');
  assert.equal(withAuth.body.toString(), 'for bob #3');
  // Neither credentialed answer replaced the shared entry.
  const anon = await send(`${gw.url}${path}`);
  assert.equal(anon.headers['x-cache'], 'HIT');
  assert.equal(anon.body.toString(), 'for anonymous #1');
  assert.equal(hitsFor(path), 3);
});

test('a route with with_credentials shares a public response between requests carrying different credentials', async () => {
  const path = '/cred/catalog';
  const miss = await send(`${gw.url}${path}`, { headers: { 'x-user': 'alice', cookie: 'session=alice' } });
  assert.equal(miss.headers['x-cache'], 'MISS');
  const hitCookie = await send(`${gw.url}${path}`, { headers: { 'x-user': 'bob', cookie: 'session=bob' } });
  const hitAuth = await send(`${gw.url}${path}`, {
    headers: { 'x-user': 'carol', authorization: 'Bearer carol-token' },
  });
  for (const r of [hitCookie, hitAuth]) {
    assert.equal(r.headers['x-cache'], 'HIT');
    assert.equal(r.body.toString(), 'for alice #1');
  }
  assert.equal(hitsFor(path), 1);
});

test('even on a with_credentials route a "private" response is not shared between users', async () => {
  const path = '/cred/private/inbox';
  const [a1, b1, a2] = await asUsers(path, ['alice', 'bob', 'alice'], (u) => ({ cookie: `session=${u}` }));
  assert.equal(a1.body.toString(), 'for alice #1');
  assert.equal(b1.body.toString(), 'for bob #2');
  assert.equal(a2.body.toString(), 'for alice #3');
  for (const r of [a1, b1, a2]) assert.notEqual(r.headers['x-cache'], 'HIT');
  assert.equal(hitsFor(path), 3);
});
