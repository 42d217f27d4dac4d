import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { compileTrust } from './client-address';
import { buildUpstreamHeaders, isProtectedTwin } from './request-headers';

function req(headers: Record<string, string>, remoteAddress = '203.0.113.9', method = 'GET'): IncomingMessage {
  return { headers, method, socket: { remoteAddress } } as unknown as IncomingMessage;
}

const ctx = { requestId: 'rid-1', host: 'shop.example' };

test('hop-by-hop fields and the ones Connection names are dropped', () => {
  const h = buildUpstreamHeaders(
    req({
      connection: 'keep-alive, x-secret',
      'keep-alive': 'timeout=5',
      te: 'trailers',
      'x-secret': 's',
      'proxy-authorization': 'Basic x',
      accept: 'a/b',
    }),
    compileTrust([]),
    ctx,
  );
  for (const gone of ['connection', 'keep-alive', 'te', 'x-secret', 'proxy-authorization'])
    assert.equal(h[gone], undefined, gone);
  assert.equal(h.accept, 'a/b');
});

test('a client that is not a trusted proxy cannot forge X-Forwarded-*', () => {
  const h = buildUpstreamHeaders(
    req({
      'x-forwarded-for': '1.2.3.4',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'evil',
      forwarded: 'for=1.2.3.4',
      host: 'shop.example',
    }),
    compileTrust([]),
    ctx,
  );
  assert.equal(h['x-forwarded-for'], '203.0.113.9');
  assert.equal(h['x-forwarded-proto'], 'http');
  assert.equal(h['x-forwarded-host'], 'shop.example');
  assert.equal(h.forwarded, undefined);
});

test("a trusted proxy's chain is kept and the peer appended", () => {
  const h = buildUpstreamHeaders(
    req({ 'x-forwarded-for': '1.2.3.4', 'x-forwarded-proto': 'https', host: 'shop.example' }, '::ffff:10.0.0.5'),
    compileTrust(['10.0.0.0/8']),
    ctx,
  );
  assert.equal(h['x-forwarded-for'], '1.2.3.4, 10.0.0.5');
  assert.equal(h['x-forwarded-proto'], 'https');
});

test("request id and host are the gateway's; traceparent passes untouched", () => {
  const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const h = buildUpstreamHeaders(
    req({ 'x-request-id': 'forged\nvalue', traceparent: tp, host: 'x' }),
    compileTrust([]),
    ctx,
  );
  assert.equal(h['x-request-id'], 'rid-1');
  assert.equal(h.host, 'shop.example');
  assert.equal(h.traceparent, tp);
});

test('path and method override fields are never relayed; vendor client-IP fields only from a trusted proxy', () => {
  const sent = {
    'x-original-url': '/admin',
    'x-http-method-override': 'DELETE',
    'true-client-ip': '1.2.3.4',
    'cf-connecting-ip': '1.2.3.4',
    host: 'x',
  };
  const untrusted = buildUpstreamHeaders(req(sent), compileTrust([]), ctx);
  for (const gone of Object.keys(sent).filter((k) => k !== 'host')) assert.equal(untrusted[gone], undefined, gone);
  const trusted = buildUpstreamHeaders(req(sent, '10.0.0.5'), compileTrust(['10.0.0.0/8']), ctx);
  assert.equal(trusted['true-client-ip'], '1.2.3.4');
  assert.equal(trusted['x-original-url'], undefined, 'not even a trusted proxy picks the path legacy serves');
});

test('a method override is relayed on a POST (tunnelled PUT/PATCH/DELETE), never on a safe method', () => {
  const sent = { 'x-http-method-override': 'PATCH', 'x-original-url': '/admin', host: 'x' };
  const post = buildUpstreamHeaders(req(sent, '127.0.0.1', 'POST'), compileTrust([]), ctx);
  assert.equal(post['x-http-method-override'], 'PATCH');
  assert.equal(post['x-original-url'], undefined);
});

test('underscore twins of protected fields are dropped, whoever sends them; other underscore names pass', () => {
  const sent = {
    transfer_encoding: 'chunked',
    content_length: '5',
    x_forwarded_for: '6.6.6.6',
    'x-real_ip': '6.6.6.6',
    'x-forwarded_host': 'evil',
    x_forwarded_proto: 'https',
    x_request_id: 'forged',
    x_csp_nonce: 'n',
    x_original_url: '/admin',
    keep_alive: 'timeout=5',
    x_figway_user_id: 'admin',
    x_custom_thing: 'kept',
    host: 'shop.example',
  };
  for (const peer of ['203.0.113.9', '10.0.0.5']) {
    const h = buildUpstreamHeaders(req(sent, peer, 'POST'), compileTrust(['10.0.0.0/8']), ctx);
    for (const gone of Object.keys(sent).filter((k) => k.includes('_') && k !== 'x_custom_thing'))
      assert.equal(h[gone], undefined, `${gone} from ${peer}`);
    assert.equal(h.x_custom_thing, 'kept');
  }
});

test('isProtectedTwin reads `_` as `-` against hop-by-hop, framing, forwarding, override and identity fields', () => {
  for (const name of [
    'transfer_encoding',
    'proxy_connection',
    'content_length',
    'x-forwarded_for',
    'true_client_ip',
    'x_http_method_override',
    'x_forwarded',
    'x_figway_anything',
  ]) {
    assert.equal(isProtectedTwin(name), true, name);
  }
  for (const name of ['x_custom_thing', 'content_type', 'accept_language', 'x_requested_with'])
    assert.equal(isProtectedTwin(name), false, name);
});
