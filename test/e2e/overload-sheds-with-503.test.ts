import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send, type RawResponse } from '../support/http';
import { waitFor } from '../support/wait';

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function stack(env: Record<string, string>): Promise<{ up: CountingUpstream; gw: RunningGateway }> {
  const up = await startCountingUpstream();
  const gw = await startGateway({ LEGACY_URL: up.url, ...env });
  cleanup.push(
    () => up.close(),
    () => gw.stop(),
  );
  return { up, gw };
}

test('past its heap limit the gateway answers 503 + Retry-After, forwards nothing, and stays observable', async () => {
  // A limit every heap is past: the same path a heap filling towards an out-of-memory kill takes.
  const { up, gw } = await stack({ SHED_HEAP_RATIO: '0.000001' });
  // The monitor samples the heap every 250 ms: wait for the sample that turns shedding on (/metrics is never shed).
  await waitFor(async () => /^gateway_overloaded 1$/m.test((await send(`${gw.url}/metrics`)).body.toString()), 5_000, {
    what: 'gateway_overloaded 1',
  });
  const res = await send(`${gw.url}/api/v1/anything`);
  assert.equal(res.status, 503);
  assert.equal(res.headers['retry-after'], '1');
  assert.equal(res.json().code, 'OVERLOADED');
  assert.equal(up.hits(), 0);
  assert.equal((await send(`${gw.url}/health`)).status, 200);
  const metrics = (await send(`${gw.url}/metrics`)).body.toString();
  assert.match(metrics, /^gateway_overloaded 1$/m);
  assert.match(metrics, /^gateway_shed_total\{reason="heap"\} [1-9]/m);
});

/** The answer, or undefined when the connection was closed on accept (at the cap). */
async function answered(url: string): Promise<RawResponse | undefined> {
  return send(url, { timeoutMs: 3_000 }).catch((err: Error) => {
    if (/socket hang up|ECONNRESET/.test(err.message)) return undefined;
    throw err;
  });
}

function openIdle(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

test('connections past MAX_CONNECTIONS are closed on accept; one freed slot serves again', async () => {
  const { gw } = await stack({ MAX_CONNECTIONS: '3' });
  const held = await Promise.all([openIdle(gw.port), openIdle(gw.port), openIdle(gw.port)]);
  // No wait needed: the three are in the kernel's accept queue once connected, and the gateway accepts from it in
  // order, so the next connection is the fourth whenever the gateway gets to it.
  await assert.rejects(send(`${gw.url}/api/v1/x`, { timeoutMs: 3_000 }), /socket hang up|ECONNRESET/);
  held[0].destroy();
  // The slot is free once the gateway has seen the close; until then each try is refused as above.
  await waitFor(async () => (await answered(`${gw.url}/api/v1/x`))?.status === 200, 5_000, {
    what: 'a request served after one held connection closed',
  });
  for (const s of held) s.destroy();
  let metrics = '';
  await waitFor(async () => (metrics = (await answered(`${gw.url}/metrics`))?.body.toString() ?? '') !== '', 5_000, {
    what: '/metrics served once the held connections closed',
  });
  assert.match(metrics, /^gateway_shed_total\{reason="max_connections"\} [1-9]/m);
});
