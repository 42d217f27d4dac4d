import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway } from '../support/gateway';
import { send } from '../support/http';
import { CLIENT, parseTraceparent, SERVER, startReceiver, type Receiver } from '../support/otlp-receiver';
import { CLOSED_PORT } from '../support/ports';

// How a forwarded request's upstream exchange shows in a trace: on the request's server span by default (one span
// per request), or as a client span per attempt with TRACE_UPSTREAM_SPANS=true.

const ROUTES = `
routes:
  - id: v1
    path: /api/v1/*
    target: legacy
`;
const tracingEnv = (receiver: Receiver) => ({
  ROUTES_FILE: routesFile(ROUTES),
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  OTEL_BSP_SCHEDULE_DELAY: '100',
});

let receiver: Receiver;
let upstream: CountingUpstream;
const seen = new Map<string, string | undefined>();

before(async () => {
  receiver = await startReceiver();
  upstream = await startCountingUpstream((req, res) => {
    seen.set(req.headers['x-request-id'] as string, req.headers.traceparent as string | undefined);
    res.statusCode = req.url?.includes('missing') ? 404 : 200;
    res.end('ok');
  });
});
after(async () => {
  await upstream?.close();
  await receiver?.close();
});

test('TRACE_UPSTREAM_SPANS=true: a client span under the server span, and the upstream is told it is its parent', async () => {
  const gw = await startGateway({ ...tracingEnv(receiver), LEGACY_URL: upstream.url, TRACE_UPSTREAM_SPANS: 'true' });
  try {
    const res = await send(`${gw.url}/api/v1/missing?token=SECRET-3`);
    assert.equal(res.status, 404);
    const { traceId, parentId } = parseTraceparent(seen.get(res.headers['x-request-id'] as string));
    const spans = await receiver.waitFor((all) => all.filter((s) => s.traceId === traceId).length >= 2);
    const server = spans.find((s) => s.traceId === traceId && s.kind === SERVER)!;
    const client = spans.find((s) => s.traceId === traceId && s.kind === CLIENT)!;
    assert.ok(server && client, JSON.stringify(spans, null, 1));
    assert.equal(client.spanId, parentId);
    assert.equal(client.parentSpanId, server.spanId);
    assert.equal(client.name, 'GET');
    assert.equal(client.attributes['server.address'], '127.0.0.1');
    assert.equal(client.attributes['server.port'], Number(new URL(upstream.url).port));
    assert.equal(client.attributes['url.full'], `${upstream.url}/api/v1/missing?token=REDACTED`);
    assert.equal(client.attributes['http.response.status_code'], 404);
    // A client span errs on any 4xx; the server span only on the gateway's own 5xx.
    assert.equal(client.statusCode, 2);
    assert.equal(server.statusCode, 0);
  } finally {
    await gw.stop();
  }
});

test('an upstream that cannot be reached: the server span records the failed attempt and ends in error', async () => {
  const dead = `http://127.0.0.1:${CLOSED_PORT}`;
  const gw = await startGateway({ ...tracingEnv(receiver), LEGACY_URL: dead });
  try {
    const traceId = 'dead0000000000000000000000000001';
    const res = await send(`${gw.url}/api/v1/items/1`, {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    assert.equal(res.status, 502);
    const spans = await receiver.waitFor((all) => all.some((s) => s.traceId === traceId && s.kind === SERVER));
    const server = spans.find((s) => s.traceId === traceId && s.kind === SERVER)!;
    assert.equal(server.attributes['http.response.status_code'], 502);
    assert.equal(server.statusCode, 2);
    assert.equal(server.attributes['figway.upstream.origin'], dead);
    assert.equal(server.attributes['figway.upstream.status_code'], undefined, 'no upstream answered');
    const failed = server.events.filter((e) => e.name === 'upstream_failed');
    assert.ok(failed.length >= 1, JSON.stringify(server, null, 1));
    assert.equal(failed[0].attributes['error.type'], 'ECONNREFUSED');
    assert.equal(failed[0].attributes['figway.upstream.origin'], dead);
  } finally {
    await gw.stop();
  }
});
