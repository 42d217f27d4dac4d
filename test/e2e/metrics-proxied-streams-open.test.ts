import assert from 'node:assert/strict';
import { get, type ClientRequest } from 'node:http';
import { after, before, test } from 'node:test';
import { metric } from '../support/chat';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, type RunningGateway } from '../support/gateway';
import { waitFor } from '../support/wait';

/** gateway_proxied_streams_open follows the legacy event streams relayed right now (issue 6: open SSE streams). */
let upstream: CountingUpstream;
let gw: RunningGateway;

before(async () => {
  upstream = await startCountingUpstream((req, res) => {
    if (!req.url?.startsWith('/api/v1/events')) return res.end('{}');
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    res.write('data: open\n\n');
    // Held until the client goes.
  });
  gw = await startGateway({ LEGACY_URL: upstream.url, RATE_LIMIT: 'off', CACHE_ENABLED: 'false' });
});
after(async () => {
  await gw?.stop();
  await upstream?.close();
});

function openStream(path: string): Promise<ClientRequest> {
  return new Promise((resolve, reject) => {
    const req = get(`${gw.url}${path}`, (res) => res.once('data', () => resolve(req)));
    req.on('error', reject);
  });
}

/** The close reaches the gateway a moment after the client destroys its socket: waits for the gauge to say `n`. */
async function openIs(n: number, why = ''): Promise<void> {
  let last: number | undefined;
  await waitFor(async () => (last = await metric(gw, 'gateway_proxied_streams_open')) === n, 5_000, {
    what: `gateway_proxied_streams_open ${n} ${why}`,
    detail: () => `last seen: ${last}`,
  });
}

test('relayed event streams are counted while open, and not other answers', async () => {
  assert.equal(await metric(gw, 'gateway_proxied_streams_open'), 0);
  const a = await openStream('/api/v1/events/a');
  const b = await openStream('/api/v1/events/b');
  await new Promise<void>((resolve) => get(`${gw.url}/api/v1/plain`, (res) => res.resume().on('end', resolve)));
  await openIs(2, '(two streams open; the JSON answer is not one)');
  a.destroy();
  await openIs(1);
  b.destroy();
  await openIs(0);
});
