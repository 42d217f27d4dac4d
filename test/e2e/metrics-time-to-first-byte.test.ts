import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { metric, startChatGateway, bearer } from '../support/chat';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';

/**
 * gateway_time_to_first_byte_seconds is what the latency alert watches: a stream that answers at once and stays
 * open must read as fast there (while the duration histogram records its whole life), a slow head as slow.
 */
let upstream: CountingUpstream;
let gw: RunningGateway;

before(async () => {
  upstream = await startCountingUpstream((req, res) => {
    if (req.url?.startsWith('/api/v1/stream')) {
      // SSE: head and a first event at once, the end 1.2 s later.
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write('data: hello\n\n');
      setTimeout(() => res.end('data: bye\n\n'), 1_200);
      return;
    }
    // A slow upstream: nothing at all for 600 ms.
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'), 600);
  });
  const routes = routesFile(`
routes:
  - id: stream
    path: /api/v1/stream
    target: legacy
  - id: slow
    path: /api/v1/slow
    target: legacy
`);
  gw = await startGateway({ LEGACY_URL: upstream.url, ROUTES_FILE: routes, RATE_LIMIT: 'off', CACHE_ENABLED: 'false' });
});
after(async () => {
  await gw?.stop();
  await upstream?.close();
});

test('a proxied stream counts as fast to its first byte and long in duration; a slow head as slow in both', async () => {
  const [stream, slow] = await Promise.all([send(`${gw.url}/api/v1/stream`), send(`${gw.url}/api/v1/slow`)]);
  assert.equal(stream.status, 200);
  assert.match(stream.body.toString(), /hello[\s\S]*bye/);
  assert.equal(slow.status, 200);
  const stream250ms = { route: 'stream', target: 'legacy', le: '0.25' };
  const slow250ms = { route: 'slow', target: 'legacy', le: '0.25' };
  assert.equal(
    await metric(gw, 'gateway_time_to_first_byte_seconds_bucket', stream250ms),
    1,
    'the stream answered within 250 ms',
  );
  assert.equal(
    await metric(gw, 'gateway_request_duration_seconds_bucket', { route: 'stream', target: 'legacy', le: '1' }),
    0,
    'it lasted over 1 s',
  );
  assert.equal(
    await metric(gw, 'gateway_time_to_first_byte_seconds_bucket', slow250ms),
    0,
    'the slow head took over 250 ms',
  );
  assert.equal(
    await metric(gw, 'gateway_time_to_first_byte_seconds_bucket', { route: 'slow', target: 'legacy', le: '1' }),
    1,
  );
});

test('a chat stream (written by the v2 module itself) counts its first byte when the SSE head goes out', async () => {
  const chat = await startChatGateway();
  try {
    // The model's first word after 50 ms, then one every 400 ms: the stream lasts well over a second.
    chat.fake.behave({ chunks: ['one', ' two', ' three', ' four'], firstDelayMs: 50, delayMs: 400 });
    const res = await send(`${chat.gw.url}/api/v2/chat`, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ message: 'hi' }),
    });
    assert.equal(res.status, 200);
    assert.match(res.body.toString(), /event: done/);
    const labels = { target: 'module', le: '0.25' };
    assert.equal(
      await metric(chat.gw, 'gateway_time_to_first_byte_seconds_bucket', labels),
      1,
      'head out within 250 ms',
    );
    assert.equal(
      await metric(chat.gw, 'gateway_request_duration_seconds_bucket', { target: 'module', le: '1' }),
      0,
      'the stream lasted over 1 s',
    );
  } finally {
    await chat.stop();
  }
});
