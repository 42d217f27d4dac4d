import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startStack, type Stack } from '../support/stack';

let s: Stack;
let trusting: RunningGateway;
before(async () => {
  s = await startStack();
  trusting = await startGateway({ LEGACY_URL: s.legacy.url, TRUST_PROXY: '127.0.0.1/8' });
});
after(async () => {
  await trusting?.stop();
  await s?.stop();
});

const echo = async (url: string, headers: Record<string, string>) =>
  (await send(`${url}/api/v1/echo`, { headers })).json().headers;

test('hop-by-hop fields and fields named in Connection never reach legacy', async () => {
  const h = await echo(s.gateway.url, {
    connection: 'keep-alive, X-Internal',
    'x-internal': 'secret',
    'keep-alive': 'timeout=9',
    te: 'trailers',
    'proxy-authorization': 'Basic Zm9v',
  });
  assert.equal(h['x-internal'], undefined);
  assert.equal(h['keep-alive'], undefined);
  assert.equal(h.te, undefined);
  assert.equal(h['proxy-authorization'], undefined);
});

test('a spoofed X-Forwarded-For from an untrusted client is replaced by the socket peer', async () => {
  const h = await echo(s.gateway.url, {
    'x-forwarded-for': '6.6.6.6',
    'x-forwarded-host': 'evil.example',
    'x-forwarded-proto': 'https',
    host: 'shop.example',
  });
  assert.equal(h['x-forwarded-for'], '127.0.0.1');
  assert.equal(h['x-forwarded-host'], 'shop.example');
  assert.equal(h['x-forwarded-proto'], 'http');
  assert.equal(h.host, 'shop.example', 'the client Host is kept for legacy');
});

test('behind a TRUST_PROXY peer the chain is kept and the peer appended', async () => {
  const h = await echo(trusting.url, { 'x-forwarded-for': '198.51.100.7', 'x-forwarded-proto': 'https' });
  assert.equal(h['x-forwarded-for'], '198.51.100.7, 127.0.0.1');
  assert.equal(h['x-forwarded-proto'], 'https');
});

test('X-Request-Id is generated, returned and sent upstream; a valid one is kept; a bad one replaced', async () => {
  const fresh = await send(`${s.gateway.url}/api/v1/echo`);
  const id = fresh.headers['x-request-id'] as string;
  assert.match(id, /^[0-9a-f-]{36}$/);
  assert.equal(fresh.json().headers['x-request-id'], id);

  const kept = await send(`${s.gateway.url}/api/v1/echo`, { headers: { 'x-request-id': 'client-id-42' } });
  assert.equal(kept.headers['x-request-id'], 'client-id-42');
  assert.equal(kept.json().headers['x-request-id'], 'client-id-42');

  const bad = await send(`${s.gateway.url}/api/v1/echo`, { headers: { 'x-request-id': 'x'.repeat(300) } });
  assert.match(bad.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);
});

test('W3C traceparent and tracestate reach legacy', async () => {
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const h = await echo(s.gateway.url, { traceparent, tracestate: 'vendor=1' });
  assert.equal(h.traceparent, traceparent);
  assert.equal(h.tracestate, 'vendor=1');
});

test('gateway-made responses carry X-Request-Id too', async () => {
  const res = await send(`${s.gateway.url}/health`);
  assert.match(res.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);
});
