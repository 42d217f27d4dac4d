// Pass criterion: a module route without legacy_path has no legacy side; routes.yaml refuses weights or rollback on
// it, and so does the admin API (409 problem naming the route and what to add), without changing what it serves.
// The same route with legacy_path takes them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, waitReady, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { admin, ADMIN_TOKEN } from '../support/migration';

let legacy: CountingUpstream;
let gw: RunningGateway;

before(async () => {
  legacy = await startCountingUpstream((_req, res) => res.end('legacy'));
  const routes = routesFile(`
routes:
  - id: chat-page
    path: /chat/*
    methods: [GET, HEAD]
    target: module:chat
  - id: chat-page-steerable
    path: /chat2/*
    methods: [GET, HEAD]
    target: module:chat
    legacy_path: /old-chat/*
`);
  gw = await startGateway({ LEGACY_URL: legacy.url, ROUTES_FILE: routes, ADMIN_TOKEN, RATE_LIMIT: 'off' });
  await waitReady(gw);
});
after(async () => {
  await gw?.stop();
  await legacy?.close();
});

test('weights or rollback on a module route without legacy_path: 409 problem, and the route is unchanged', async () => {
  for (const patch of [{ weights: { legacy: 80, new: 20 } }, { rollback: true }]) {
    const res = await admin(gw.url, 'PUT', '/admin/routes/chat-page', patch);
    assert.equal(res.status, 409, JSON.stringify(patch));
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.equal(res.json().code, 'CONFLICT');
    assert.match(res.json().detail, /chat-page .*no legacy_path.*legacy_path in the routes file/);
  }
  const routes = (await admin(gw.url, 'GET', '/admin/routes')).json().routes as { id: string }[];
  const view = routes.find((r) => r.id === 'chat-page')!;
  assert.deepEqual(view, {
    ...view,
    weights: { legacy: 0, new: 100, source: 'file' },
    rollback: { value: false, source: 'file' },
  });
  assert.equal((await send(`${gw.url}/chat/session`)).status, 200);
  assert.equal(legacy.hits(), 0);
});

test('the same changes on a module route with legacy_path are taken', async () => {
  const res = await admin(gw.url, 'PUT', '/admin/routes/chat-page-steerable', { rollback: true });
  assert.equal(res.status, 200, res.body.toString());
  assert.equal((await send(`${gw.url}/chat2/x`)).body.toString(), 'legacy');
});
