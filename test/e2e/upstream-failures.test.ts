import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { metric } from '../support/chat';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send, type RawResponse } from '../support/http';
import { startLegacy, type LegacyApp } from '../support/legacy-flask';
import { refusingPort, type RefusingPort } from '../support/ports';
import { waitFor } from '../support/wait';

/** A server of the test's own on an OS-picked port; every socket is tracked so `after` can end them all. */
interface Fake {
  url: string;
  port: number;
  close(): Promise<void>;
}

function serve(server: NetServer | HttpServer): Promise<Fake> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    // A reset seen from our side is the point of some of these servers, not a test failure.
    s.on('error', () => {});
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Accepts the connection, reads the request, and never says a word. */
const swallowing = () => serve(createNetServer((s) => s.resume()));

/** Answers the first bytes of a request with a TCP RST. */
const resetting = () => serve(createNetServer((s) => s.once('data', () => s.resetAndDestroy())));

/**
 * Counts the requests it sees and drops the connection under the first one without answering; later ones get a
 * normal 200. That tells a retry (count 2, then 200) from no retry (count 1, the client sees the failure).
 */
async function failingOnce(): Promise<Fake & { hits(): number }> {
  let hits = 0;
  const server = createHttpServer((req, res) => {
    hits++;
    if (hits === 1) {
      req.socket.destroy();
      return;
    }
    req.resume();
    req.on('end', () => res.end('answered on attempt ' + hits));
  });
  return { ...(await serve(server)), hits: () => hits };
}

async function timed(p: Promise<RawResponse>): Promise<{ res: RawResponse; ms: number }> {
  const t0 = performance.now();
  const res = await p;
  return { res, ms: performance.now() - t0 };
}

function assertProblem(res: RawResponse, status: number, code: string): void {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.body.toString()}`);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const p = res.json();
  assert.equal(p.status, status);
  assert.equal(p.code, code);
}

let legacy: LegacyApp;
let dead: RefusingPort;
let hang: Fake;
let reset: Fake;
let postOnce: Awaited<ReturnType<typeof failingOnce>>;
let getOnce: Awaited<ReturnType<typeof failingOnce>>;
/** One gateway fronting every hand-made faulty upstream, each behind its own route (and so its own pool). */
let faults: RunningGateway;
/** Flask behind a 500 ms upstream timeout. */
let impatient: RunningGateway;
/** Dead instance listed first, so a fresh gateway's first pick is the dead one. */
let pairForGets: RunningGateway;
let pairForPosts: RunningGateway;

before(async () => {
  // Refused, not reset: these tests are about a connect that fails (UPSTREAM_CONNECT_FAILED, an instance marked
  // down by its connect failure). The port is held for the whole file, so no parallel test's server can take it.
  dead = await refusingPort();
  [legacy, hang, reset, postOnce, getOnce] = await Promise.all([
    startLegacy(),
    swallowing(),
    resetting(),
    failingOnce(),
    failingOnce(),
  ]);
  const routes = routesFile(`
routes:
  - { id: hang, path: /hang/*, target: "${hang.url}" }
  - { id: reset, path: /reset/*, target: "${reset.url}" }
  - { id: post-once, path: /post-once/*, target: "${postOnce.url}" }
  - { id: get-once, path: /get-once/*, target: "${getOnce.url}" }
`);
  [faults, impatient, pairForGets, pairForPosts] = await Promise.all([
    startGateway({ LEGACY_URL: dead.url, ROUTES_FILE: routes, UPSTREAM_TIMEOUT_MS: '800' }),
    startGateway({ LEGACY_URL: legacy.url, UPSTREAM_TIMEOUT_MS: '500' }),
    startGateway({ LEGACY_URL: `${dead.url},${legacy.url}` }),
    startGateway({ LEGACY_URL: `${dead.url},${legacy.url}` }),
  ]);
});

after(async () => {
  await Promise.all([faults, impatient, pairForGets, pairForPosts].map((g) => g?.stop()));
  await Promise.all([hang, reset, postOnce, getOnce].map((f) => f?.close()));
  await legacy?.stop();
  await dead?.release();
});

test('a legacy instance nobody listens on gives a fast 502 UPSTREAM_CONNECT_FAILED problem', async () => {
  const { res, ms } = await timed(send(`${faults.url}/api/v1/items`));
  assertProblem(res, 502, 'UPSTREAM_CONNECT_FAILED');
  assert.ok(ms < 2_000, `a refused connect took ${Math.round(ms)} ms to report`);
});

test('an upstream that accepts but never answers gives 504 UPSTREAM_TIMEOUT after about UPSTREAM_TIMEOUT_MS', async () => {
  const { res, ms } = await timed(send(`${faults.url}/hang/anything`));
  assertProblem(res, 504, 'UPSTREAM_TIMEOUT');
  // The lower bound shows the gateway waited for the configured 800 ms rather than giving up on its own.
  assert.ok(ms >= 700 && ms < 3_000, `answered after ${Math.round(ms)} ms`);
});

test('a legacy endpoint slower than UPSTREAM_TIMEOUT_MS gives 504 before legacy finishes', async () => {
  const { res, ms } = await timed(send(`${impatient.url}/api/v1/slow?ms=2000`));
  assertProblem(res, 504, 'UPSTREAM_TIMEOUT');
  assert.ok(ms < 1_800, `answered after ${Math.round(ms)} ms, so it waited for legacy instead of timing out`);
});

test('a legacy endpoint well inside UPSTREAM_TIMEOUT_MS still answers 200', async () => {
  const res = await send(`${impatient.url}/api/v1/slow?ms=100`);
  assert.equal(res.status, 200, res.body.toString());
  assert.deepEqual(res.json(), { slept_ms: 100 });
});

test('with one of two legacy instances dead, 20 GETs in a row all succeed', async () => {
  for (let i = 0; i < 20; i++) {
    const res = await send(`${pairForGets.url}/api/v1/echo?i=${i}`);
    assert.equal(res.status, 200, `GET ${i}: ${res.status} ${res.body.toString()}`);
    assert.equal(res.json().query_string, `i=${i}`);
  }
});

test('with one of two legacy instances dead, POSTs with a body succeed once the dead one is known', async () => {
  // What the gateway does NOT promise: a request with a body is never replayed, so a POST that is the very first
  // request of a fresh gateway and meets the dead instance gets a 502 UPSTREAM_CONNECT_FAILED. What it does
  // promise: once a connect failure has marked the instance down, requests with a body avoid it, even after its
  // cool-down, while a proven instance exists; bodiless requests do the probing.
  // The dead instance is listed first, so this warm-up GET is the request that finds it dead (and is retried).
  const warm = await send(`${pairForPosts.url}/api/v1/items`);
  assert.equal(warm.status, 200, warm.body.toString());
  // Sent together, well inside the first 1 s cool-down.
  const bodies = Array.from({ length: 5 }, (_, i) => Buffer.alloc(10_000 + i, 97 + i));
  const results = await Promise.all(
    bodies.map((body) =>
      send(`${pairForPosts.url}/api/v1/upload`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/octet-stream' },
      }),
    ),
  );
  results.forEach((res, i) => {
    assert.equal(res.status, 200, `POST ${i}: ${res.status} ${res.body.toString()}`);
    assert.equal(res.json().bytes, bodies[i].length);
  });
});

test("after the dead instance's cool-down ends, POSTs still do not probe it", async () => {
  await send(`${pairForPosts.url}/api/v1/items`);
  // The cool-down's end as the gateway itself reports it: the dead instance back in rotation (gateway_upstream_up 1).
  await waitFor(async () => (await metric(pairForPosts, 'gateway_upstream_up', { upstream: dead.url })) === 1, 5_000, {
    what: "the dead instance's cool-down to end",
    stepMs: 50,
  });
  for (let i = 0; i < 4; i++) {
    const res = await send(`${pairForPosts.url}/api/v1/upload`, {
      method: 'POST',
      body: 'x'.repeat(100),
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(res.status, 200, `POST ${i} after the cool-down: ${res.status} ${res.body.toString()}`);
  }
});

test('an upstream that resets the connection gives 502 UPSTREAM_RESET', async () => {
  // The RST arrives after the request was written: undici reports ECONNRESET or "other side closed"
  // (UND_ERR_SOCKET), both of which classifyUpstreamError sorts as 'reset', not as a connect failure.
  const res = await send(`${faults.url}/reset/x`);
  assertProblem(res, 502, 'UPSTREAM_RESET');
});

test('a POST whose connection drops is answered 502 and never sent again', async () => {
  const res = await send(`${faults.url}/post-once/orders`, {
    method: 'POST',
    body: '{"qty":1}',
    headers: { 'content-type': 'application/json' },
  });
  assertProblem(res, 502, 'UPSTREAM_RESET');
  // Proves an absence (no replay): a replay would have been dispatched before the 502 was written, so 300 ms after
  // the answer is ample for it to land on loopback if it exists.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(postOnce.hits(), 1, 'the upstream saw the POST more than once');
});

test('a GET whose connection drops is retried once and the client gets the second answer', async () => {
  const res = await send(`${faults.url}/get-once/orders`);
  assert.equal(res.status, 200, res.body.toString());
  assert.equal(res.body.toString(), 'answered on attempt 2');
  assert.equal(getOnce.hits(), 2);
});

test('problem bodies carry no stack trace and no upstream address', async () => {
  const failures = await Promise.all([
    send(`${faults.url}/api/v1/items`),
    send(`${faults.url}/hang/x`),
    send(`${faults.url}/reset/x`),
    send(`${impatient.url}/api/v1/slow?ms=2000`),
  ]);
  // With the colon, a port cannot match by chance inside the request id.
  const leaks = [dead.port, hang.port, reset.port, legacy.port]
    .map((p) => `:${p}`)
    .concat(['127.0.0.1', 'ECONNREFUSED', 'UND_ERR']);
  for (const res of failures) {
    assert.ok(res.status >= 500, `expected a failure, got ${res.status}`);
    const text = res.body.toString();
    assert.doesNotMatch(text, /\bat \S+ \(|\bat \S+:\d+:\d+|\\n\s+at /, `stack trace in ${text}`);
    for (const leak of leaks) assert.ok(!text.includes(leak), `"${leak}" leaked in ${text}`);
  }
});
