import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bearer, startChatGateway } from '../support/chat';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { CLIENT, parseTraceparent, SERVER, startReceiver, type Receiver } from '../support/otlp-receiver';
import { startRedis, type RedisServer } from '../support/redis';

let receiver: Receiver;
let upstream: CountingUpstream;
let gw: RunningGateway;
/** What the upstream saw, by the gateway's X-Request-Id. */
const seen = new Map<string, { traceparent: string | string[] | undefined; tracestate: string | undefined }>();

const ROUTES = `
routes:
  - id: v1
    path: /api/v1/*
    target: legacy
`;

before(async () => {
  receiver = await startReceiver();
  upstream = await startCountingUpstream((req, res) => {
    // Repeated fields stay visible: node joins two traceparent lines into one "a, b" string.
    const tp = req.headersDistinct.traceparent;
    seen.set(req.headers['x-request-id'] as string, {
      traceparent: tp && tp.length === 1 ? tp[0] : tp,
      tracestate: req.headers.tracestate as string | undefined,
    });
    // Slow enough that concurrent requests queue behind UPSTREAM_CONNECTIONS=1 in the pool test.
    setTimeout(() => res.end('ok'), req.url?.includes('slow') ? 100 : 0);
  });
  gw = await startGateway({
    LEGACY_URL: upstream.url,
    ROUTES_FILE: routesFile(ROUTES),
    LOG_LEVEL: 'info',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    // One connection to legacy: concurrent requests wait in undici's pool queue (see the last test).
    UPSTREAM_CONNECTIONS: '1',
  });
});
after(async () => {
  await gw?.stop();
  await upstream?.close();
  await receiver?.close();
});

test('one server span per forwarded request records the upstream, and the upstream is told it is its parent', async () => {
  const res = await send(`${gw.url}/api/v1/items/1`);
  assert.equal(res.status, 200);
  const reqId = res.headers['x-request-id'] as string;
  const { traceId, parentId } = parseTraceparent(seen.get(reqId)?.traceparent);

  const spans = await receiver.waitFor((all) => all.some((s) => s.traceId === traceId && s.kind === SERVER));
  const server = spans.find((s) => s.traceId === traceId && s.kind === SERVER)!;
  assert.equal(server.spanId, parentId, 'the upstream is told the server span is its parent');
  assert.equal(server.parentSpanId, '', 'no client trace context: the gateway starts the trace');
  assert.equal(server.service, 'figway');
  assert.equal(server.name, 'GET /api/v1/*');
  assert.equal(server.attributes['http.response.status_code'], 200);
  assert.equal(server.attributes['figway.route'], 'v1');
  assert.equal(server.attributes['http.route'], '/api/v1/*');
  assert.equal(server.attributes['figway.upstream.origin'], new URL(upstream.url).origin);
  assert.equal(server.attributes['figway.upstream.status_code'], 200);
  // Exported in the same batch as the server span (it ends first) if it existed.
  assert.ok(
    !spans.some((s) => s.traceId === traceId && s.kind === CLIENT),
    'no client span unless TRACE_UPSTREAM_SPANS=true',
  );

  // The access line names the same trace.
  const line = gw.child
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l))
    .find((j) => j.msg === 'access' && j.reqId === reqId);
  assert.equal(line?.traceId, traceId, gw.child.output());
});

test("a client's traceparent continues: same trace id upstream, sent once, tracestate kept", async () => {
  const clientTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
  const clientSpan = '00f067aa0ba902b7';
  const res = await send(`${gw.url}/api/v1/items/2`, {
    headers: { traceparent: `00-${clientTrace}-${clientSpan}-01`, tracestate: 'vendor=1' },
  });
  const got = seen.get(res.headers['x-request-id'] as string);
  const { traceId, parentId } = parseTraceparent(got?.traceparent);
  assert.equal(traceId, clientTrace);
  assert.notEqual(parentId, clientSpan, "the upstream's parent is the gateway's span, not the caller's span");
  assert.equal(got?.tracestate, 'vendor=1');

  const spans = await receiver.waitFor((all) => all.some((s) => s.traceId === clientTrace && s.kind === SERVER));
  const server = spans.find((s) => s.traceId === clientTrace && s.kind === SERVER);
  assert.equal(server?.parentSpanId, clientSpan);
  assert.equal(server?.spanId, parentId);
});

test('query values never reach the trace backend', async () => {
  const res = await send(`${gw.url}/api/v1/search?token=tok-SECRET-1&q=SECRET-2`);
  const { traceId } = parseTraceparent(seen.get(res.headers['x-request-id'] as string)?.traceparent);
  const spans = await receiver.waitFor((all) => all.some((s) => s.traceId === traceId && s.kind === SERVER));
  const server = spans.find((s) => s.traceId === traceId && s.kind === SERVER);
  assert.equal(server?.attributes['url.query'], 'token=REDACTED&q=REDACTED');
  assert.ok(!receiver.bodies.some((b) => b.includes('SECRET')), 'no query value in any export');
});

test('a request with a body keeps its trace through to the upstream', async () => {
  const res = await send(`${gw.url}/api/v1/items`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"name":"x"}',
  });
  assert.equal(res.status, 200);
  const { traceId, parentId } = parseTraceparent(seen.get(res.headers['x-request-id'] as string)?.traceparent);
  const spans = await receiver.waitFor((all) => all.some((s) => s.traceId === traceId && s.kind === SERVER));
  const server = spans.find((s) => s.traceId === traceId && s.kind === SERVER);
  assert.equal(server?.spanId, parentId);
  assert.equal(server?.attributes['http.request.method'], 'POST');
});

test('an unsampled request records nothing but still hands its trace id on, marked not sampled', async () => {
  const unsampled = await startGateway({
    LEGACY_URL: upstream.url,
    ROUTES_FILE: routesFile(ROUTES),
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_TRACES_SAMPLER: 'always_off',
  });
  try {
    const clientTrace = 'cafe0000000000000000000000000001';
    const res = await send(`${unsampled.url}/api/v1/items/3`, {
      headers: { traceparent: `00-${clientTrace}-00f067aa0ba902b7-01` },
    });
    const tp = seen.get(res.headers['x-request-id'] as string)?.traceparent;
    assert.equal(parseTraceparent(tp).traceId, clientTrace);
    assert.match(tp as string, /-00$/, 'flags say: not sampled');
    // Proves an absence (no span exported): with OTEL_BSP_SCHEDULE_DELAY=100 a recorded span would be sent within
    // about 100 ms of its end, so 500 ms (five export rounds) is ample.
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(!receiver.spans.some((s) => s.traceId === clientTrace), 'nothing exported');
  } finally {
    await unsampled.stop();
  }
});

test('with the pool queueing (all upstream connections busy) each request keeps its own trace', async () => {
  const traces = Array.from({ length: 4 }, (_, i) => `${'ab'.repeat(15)}0${i + 1}`);
  const responses = await Promise.all(
    traces.map((t, i) =>
      send(`${gw.url}/api/v1/slow/${i}`, { headers: { traceparent: `00-${t}-00f067aa0ba902b7-01` } }),
    ),
  );
  responses.forEach((res, i) => {
    assert.equal(res.status, 200);
    assert.equal(parseTraceparent(seen.get(res.headers['x-request-id'] as string)?.traceparent).traceId, traces[i]);
  });
});

test('with no OTLP endpoint tracing is off: the client trace context passes through untouched', async () => {
  const off = await startGateway({ LEGACY_URL: upstream.url, ROUTES_FILE: routesFile(ROUTES) });
  // OTEL_SDK_DISABLED wins over a configured endpoint.
  const disabled = await startGateway({
    LEGACY_URL: upstream.url,
    ROUTES_FILE: routesFile(ROUTES),
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_SDK_DISABLED: 'true',
  });
  try {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    for (const g of [off, disabled]) {
      const res = await send(`${g.url}/api/v1/untraced`, { headers: { traceparent, tracestate: 'congo=t61rcWkgMzE' } });
      const got = seen.get(res.headers['x-request-id'] as string);
      assert.equal(got?.traceparent, traceparent);
      assert.equal(got?.tracestate, 'congo=t61rcWkgMzE');
      const plain = await send(`${g.url}/api/v1/untraced`);
      assert.equal(seen.get(plain.headers['x-request-id'] as string)?.traceparent, undefined, 'nothing is invented');
    }
    // Proves an absence (no span exported): with OTEL_BSP_SCHEDULE_DELAY=100 a recorded span would be sent within
    // about 100 ms of its end, so 500 ms (five export rounds) is ample.
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(!receiver.spans.some((s) => s.traceId === '0af7651916cd43dd8448eb211c80319c'), 'nothing exported');
  } finally {
    await off.stop();
    await disabled.stop();
  }
});

test('Redis calls join the request trace (context survives the limiter), and SIGTERM flushes the batch', async () => {
  let redis: RedisServer | undefined;
  let g: RunningGateway | undefined;
  try {
    redis = await startRedis();
    g = await startGateway({
      LEGACY_URL: upstream.url,
      ROUTES_FILE: routesFile(ROUTES),
      REDIS_URL: redis.url,
      RATE_LIMIT: '1000/60s',
      // Exact mode: the limiter makes a Redis call per request, the one whose span must join the request's trace
      // (in the default synced mode the counts go to Redis in batches, on a timer, outside any request).
      RATE_LIMIT_SYNC_MS: '0',
      CACHE_ENABLED: 'false',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      // Nothing is exported on a timer during this test: only the shutdown flush can deliver the spans.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
      OTEL_SERVICE_NAME: 'figway-canary',
    });
    // The limiter's first Redis call may land before ioredis connected; a few requests make sure one is traced.
    let last = '';
    for (let i = 0; i < 3; i++) {
      const res = await send(`${g.url}/api/v1/limited`);
      assert.equal(res.status, 200);
      last = res.headers['x-request-id'] as string;
    }
    const { traceId } = parseTraceparent(seen.get(last)?.traceparent);
    assert.ok(!receiver.spans.some((s) => s.traceId === traceId), 'not exported before shutdown');
    assert.equal(await g.stop(), 0);
    const spans = (await receiver.waitFor((all) => all.some((s) => s.traceId === traceId && s.kind === SERVER))).filter(
      (s) => s.traceId === traceId,
    );
    const server = spans.find((s) => s.kind === SERVER);
    assert.equal(server?.service, 'figway-canary', 'OTEL_SERVICE_NAME overrides the default service name');
    const redisSpans = spans.filter((s) => s.scope.includes('ioredis'));
    assert.ok(redisSpans.length > 0, `a Redis span in the request's trace: ${JSON.stringify(spans, null, 1)}`);
    for (const s of redisSpans)
      assert.doesNotMatch(
        String(s.attributes['db.query.text'] ?? s.attributes['db.statement'] ?? ''),
        /:/,
        'keys are not recorded',
      );
  } finally {
    await g?.stop();
    await redis?.stop();
  }
});

test('a chat turn traces its model call: the model API gets the trace, a `chat {model}` span records usage', async () => {
  const chat = await startChatGateway({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });
  try {
    const clientTrace = 'c4a7000000000000000000000000c4a7';
    const res = await send(`${chat.gw.url}/api/v2/chat`, {
      method: 'POST',
      headers: {
        ...bearer(),
        'content-type': 'application/json',
        accept: 'application/json',
        traceparent: `00-${clientTrace}-00f067aa0ba902b7-01`,
      },
      body: JSON.stringify({ message: 'hello' }),
    });
    assert.equal(res.status, 200, res.body.toString());
    const call = chat.fake.requests.at(-1);
    const { traceId, parentId } = parseTraceparent(call?.traceparent);
    assert.equal(traceId, clientTrace, "the model API continues the caller's trace");
    const spans = await receiver.waitFor((all) =>
      all.some((s) => s.traceId === clientTrace && s.name.startsWith('chat ')),
    );
    const llm = spans.find((s) => s.traceId === clientTrace && s.name.startsWith('chat '))!;
    const server = spans.find((s) => s.traceId === clientTrace && s.kind === SERVER);
    assert.equal(llm.kind, CLIENT);
    assert.equal(llm.spanId, parentId, 'the model API was told the chat span is its parent');
    assert.equal(llm.parentSpanId, server?.spanId, 'the chat span sits under the request span');
    assert.equal(llm.attributes['gen_ai.operation.name'], 'chat');
    assert.equal(llm.attributes['gen_ai.provider.name'], 'openai');
    assert.equal(llm.name, `chat ${llm.attributes['gen_ai.request.model']}`);
    assert.ok(Number(llm.attributes['gen_ai.usage.output_tokens']) > 0, 'usage recorded');
    assert.ok(
      !receiver.bodies.some((b) => b.includes('hello') && b.includes(clientTrace)),
      'the message text is not in the trace',
    );
  } finally {
    await chat.stop();
  }
});
