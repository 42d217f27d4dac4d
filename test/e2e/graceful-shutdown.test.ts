import assert from 'node:assert/strict';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startLegacy, type LegacyApp } from '../support/legacy-flask';
import { waitFor } from '../support/wait';

/** Resolves with the exit code, or with 'still running' once `ms` is over (the caller's assert then fails). */
function exitWithin(gw: RunningGateway, ms: number): Promise<number | null | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still running'>((r) => (timer = setTimeout(() => r('still running'), ms)));
  return Promise.race([gw.child.exited, late]).finally(() => clearTimeout(timer));
}

/** An SSE client that reports its first event (so the stream is known to be flowing) and, at the end, all of them. */
function sseClient(url: string) {
  let firstEvent!: () => void;
  const flowing = new Promise<void>((r) => (firstEvent = r));
  const done = new Promise<{ status: number; ids: string[] }>((resolve, reject) => {
    const req = request(url, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('\n\n')) firstEvent();
      });
      res.on('error', reject);
      res.on('end', () => {
        const ids = text
          .split('\n\n')
          .filter((e) => e.includes('data:'))
          .map((e) => /^id: (.*)$/m.exec(e)?.[1] ?? '?');
        resolve({ status: res.statusCode ?? 0, ids });
      });
    });
    req.setTimeout(15_000, () => req.destroy(new Error('SSE stream stalled')));
    req.on('error', reject);
    req.end();
  });
  // A failed stream must fail the test through `done`, not hang it on `flowing`.
  done.then(firstEvent, firstEvent);
  return { flowing, done };
}

let legacy: LegacyApp;
const gateways: RunningGateway[] = [];
async function gateway(env: Record<string, string>): Promise<RunningGateway> {
  const gw = await startGateway({ LEGACY_URL: legacy.url, ...env });
  gateways.push(gw);
  return gw;
}

before(async () => {
  legacy = await startLegacy();
});

after(async () => {
  // Only the ones a failed test left running; stop() is a no-op on an exited child.
  await Promise.all(gateways.map((g) => g.child.stop('SIGKILL', 1_000)));
  await legacy?.stop();
});

test('SIGTERM lets an in-flight request and an SSE stream finish, fails readiness meanwhile, then exits 0', async () => {
  const gw = await gateway({ SHUTDOWN_DELAY_MS: '1500' });
  const slowSentAt = performance.now();
  const slow = send(`${gw.url}/api/v1/slow?ms=2500`, { timeoutMs: 15_000 }).then((res) => ({
    res,
    at: performance.now(),
  }));
  const sse = sseClient(`${gw.url}/api/v1/events?count=6&interval_ms=300`);
  // The slow request went out first, so once an event came back through the gateway it is in flight too.
  await sse.flowing;
  const termAt = performance.now();
  gw.child.proc.kill('SIGTERM');

  // During SHUTDOWN_DELAY_MS the listener is still open: load balancers must see "not ready", not a dead process.
  // Polled until the signal is handled (a probe that fails to connect ends the wait, and the test, at once).
  await waitFor(async () => (await send(`${gw.url}/health/ready`)).status === 503, 1_500, {
    what: '/health/ready 503 after SIGTERM',
    stepMs: 10,
  });
  const [ready, live] = await Promise.all([send(`${gw.url}/health/ready`), send(`${gw.url}/health`)]);
  const askedBy = performance.now() - termAt;
  assert.ok(askedBy < 1_500, `the probes only came back ${Math.round(askedBy)} ms after SIGTERM, past the delay`);
  assert.equal(ready.status, 503, ready.body.toString());
  assert.match(String(ready.headers['content-type']), /^application\/problem\+json/);
  assert.equal(ready.json().code, 'NOT_READY');
  assert.equal(ready.json().checks.shutdown, 'in progress');
  assert.equal(live.status, 200);

  const { res, at } = await slow;
  assert.equal(res.status, 200, res.body.toString());
  assert.deepEqual(res.json(), { slept_ms: 2500 });
  // Guards the test itself: only a request still running when the delay ends shows that closing the listener
  // waits for in-flight work.
  assert.ok(
    at - termAt > 1_500,
    `the slow request ended ${Math.round(at - termAt)} ms after SIGTERM, within the delay`,
  );
  assert.ok(at - slowSentAt >= 2_400, `the slow request took only ${Math.round(at - slowSentAt)} ms`);

  const stream = await sse.done;
  assert.equal(stream.status, 200);
  assert.deepEqual(stream.ids, ['0', '1', '2', '3', '4', '5']);

  assert.equal(await exitWithin(gw, 10_000 - (performance.now() - termAt)), 0, gw.child.output());
});

test('with nothing in flight and no delay, SIGTERM exits 0 in under 3 s', async () => {
  const gw = await gateway({ SHUTDOWN_DELAY_MS: '0' });
  gw.child.proc.kill('SIGTERM');
  assert.equal(await exitWithin(gw, 3_000), 0, gw.child.output());
});

test('an idle keep-alive client connection does not hold up shutdown', async () => {
  const gw = await gateway({ SHUTDOWN_DELAY_MS: '0' });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    await new Promise<void>((resolve, reject) => {
      request(`${gw.url}/health`, { agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
        .on('error', reject)
        .end();
    });
    // The agent parks the socket as the response ends, a moment after 'end'. Not parked: not kept alive, and the
    // test would prove nothing.
    await waitFor(() => Object.keys(agent.freeSockets).length === 1, 2_000, {
      what: 'the keep-alive socket parked in the agent',
      stepMs: 5,
    });
    gw.child.proc.kill('SIGTERM');
    assert.equal(await exitWithin(gw, 3_000), 0, gw.child.output());
  } finally {
    agent.destroy();
  }
});

test('a request outlasting SHUTDOWN_GRACE_MS is cut so that shutdown stays bounded, and the exit is still 0', async () => {
  // An upstream of our own that never answers: a Flask request this long would outlive the Flask app's own stop.
  let arrived!: () => void;
  const atUpstream = new Promise<void>((r) => (arrived = r));
  const silent = createServer(() => arrived());
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const gw = await gateway({
      LEGACY_URL: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      SHUTDOWN_DELAY_MS: '0',
      SHUTDOWN_GRACE_MS: '1000',
    });
    const pending = send(`${gw.url}/api/v1/never`, { timeoutMs: 30_000 }).then(
      (res) => `answered ${res.status}`,
      (err: Error) => `cut: ${err.message}`,
    );
    await atUpstream;
    const termAt = performance.now();
    gw.child.proc.kill('SIGTERM');
    assert.equal(await exitWithin(gw, 6_000), 0, gw.child.output());
    assert.ok(performance.now() - termAt >= 900, 'exited before the grace period was over');
    assert.match(await pending, /^cut: /);
  } finally {
    silent.closeAllConnections();
    silent.close();
  }
});
