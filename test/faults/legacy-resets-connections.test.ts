// Pass criterion: with a legacy that reads each request and then resets the connection, 20 concurrent GETs and
// 5 POSTs lose nothing and never hang: every one gets 502 UPSTREAM_RESET problem+json within 2 s. The retry policy
// (README "Upstreams, retries and errors") holds exactly: a bodiless idempotent request meeting a reset is sent
// twice in all (one retry, never more), a POST with a body exactly once.
// The upstream-failures e2e test covers one reset and one drop-then-answer; this one checks the counts under
// concurrency, where a retry storm or a lost request would show.
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send, type RawResponse } from '../support/http';

const sockets = new Set<Socket>();
/** Request heads seen, by the first line's path: one entry per attempt the gateway made. */
const seen = new Map<string, number>();
const resetting = createServer((s) => {
  sockets.add(s);
  s.on('close', () => sockets.delete(s));
  s.on('error', () => {});
  let head = '';
  s.on('data', (d) => {
    head += d.toString('latin1');
    if (!head.includes('\r\n\r\n')) return;
    const path = head.split(' ')[1];
    seen.set(path, (seen.get(path) ?? 0) + 1);
    // RST after the request arrived, before any response byte: what a crashing worker looks like.
    s.resetAndDestroy();
  });
});
let gw: RunningGateway;

before(async () => {
  await new Promise<void>((r) => resetting.listen(0, '127.0.0.1', r));
  const port = (resetting.address() as { port: number }).port;
  gw = await startGateway({ LEGACY_URL: `http://127.0.0.1:${port}`, RATE_LIMIT: 'off' });
});

after(async () => {
  await gw?.stop();
  for (const s of sockets) s.destroy();
  await new Promise((r) => resetting.close(r));
});

async function timed(p: Promise<RawResponse>) {
  const t0 = performance.now();
  const res = await p;
  return { res, ms: performance.now() - t0 };
}

function assertReset({ res, ms }: { res: RawResponse; ms: number }) {
  assert.equal(res.status, 502, res.body.toString());
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  assert.equal(res.json().code, 'UPSTREAM_RESET');
  assert.ok(ms < 2_000, `a reset took ${Math.round(ms)} ms to report`);
}

test('20 concurrent GETs meeting resets: all 502 UPSTREAM_RESET, each sent exactly twice', async () => {
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => timed(send(`${gw.url}/api/v1/get/${i}`, { timeoutMs: 10_000 }))),
  );
  results.forEach(assertReset);
  for (let i = 0; i < 20; i++)
    assert.equal(seen.get(`/api/v1/get/${i}`), 2, `GET ${i} was sent ${seen.get(`/api/v1/get/${i}`)} times`);
  console.log(`# reset: worst GET 502 after ${Math.round(Math.max(...results.map((r) => r.ms)))} ms`);
});

test('bodiless DELETE is retried once too; POSTs with a body are sent exactly once', async () => {
  const del = await timed(send(`${gw.url}/api/v1/del/1`, { method: 'DELETE', timeoutMs: 10_000 }));
  assertReset(del);
  const posts = await Promise.all(
    Array.from({ length: 5 }, (_, i) =>
      timed(
        send(`${gw.url}/api/v1/post/${i}`, {
          method: 'POST',
          body: `{"n":${i}}`,
          headers: { 'content-type': 'application/json' },
          timeoutMs: 10_000,
        }),
      ),
    ),
  );
  posts.forEach(assertReset);
  // Proves an absence (no replay): a replay would be dispatched before the 502 is written, so 300 ms after the
  // answers is ample for a late one to land on loopback if it exists.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(seen.get('/api/v1/del/1'), 2);
  for (let i = 0; i < 5; i++)
    assert.equal(seen.get(`/api/v1/post/${i}`), 1, `POST ${i} was sent ${seen.get(`/api/v1/post/${i}`)} times`);
});

test('the gateway is still healthy after the reset storm', async () => {
  const res = await send(`${gw.url}/health`);
  assert.equal(res.status, 200);
});
