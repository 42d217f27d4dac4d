import assert from 'node:assert/strict';
import type { OutgoingHttpHeaders } from 'node:http';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import type { GatewayConfig } from '../config';
import { storedClientHeaders } from '../proxy/response-headers';
import { headFacts, type RelayHead, type ResponseTransform, type StoredHead } from '../proxy/response-transforms';
import type { CompiledRoute } from '../routing';
import { mayMatchCorsPath } from './cors';
import { compileProxiedResponses } from './proxied-headers';
import { compileSecurityHeaders } from './security-headers';

const config = (over: Partial<GatewayConfig> = {}) =>
  ({ cspMode: 'enforce', cors: { origins: [], anyOrigin: false }, ...over }) as GatewayConfig;
const withCors = config({ cors: { origins: ['https://app.example'], anyOrigin: false } });
const route = (...patterns: string[]) => ({ id: 'r', patterns }) as unknown as CompiledRoute;

function raw(fields: Record<string, string>): Buffer[] {
  return Object.entries(fields).flatMap(([n, v]) => [Buffer.from(n), Buffer.from(v)]);
}

/** What the forwarder does with a relayed head: the transforms in order, with a nonce if one makes it. */
function relay(list: readonly ResponseTransform[], path: string, upstream: Record<string, string>, own = {}) {
  const nonce = list.find((t) => t.nonce)?.nonce?.();
  const head: RelayHead = {
    path,
    nonce,
    own: { ...own } as OutgoingHttpHeaders,
    facts: headFacts(raw(upstream)),
    bodiless: false,
    edits: [],
  };
  for (const t of list) t.relay?.(head);
  const dropped = (name: string) => head.edits.some((e) => e.drop.has(name));
  return { head, nonce, dropped };
}

test('a route gets CORS ownership only when CORS is on and its patterns can match an /api/v2 path', () => {
  const on = compileProxiedResponses(withCors, compileSecurityHeaders(withCors));
  const off = compileProxiedResponses(config(), compileSecurityHeaders(config()));
  const v1 = on.transformsFor(route('/api/v1', '/api/v1/*'));
  const v2 = on.transformsFor(route('/api/v2/users/:id'));
  const all = on.transformsFor(route('/*'));
  assert.equal(v2.length, v1.length + 1);
  assert.equal(all.length, v1.length + 1);
  assert.equal(off.transformsFor(route('/*')).length, v1.length);
  for (const p of ['/api/v2', '/api/v2/*', '/api/:version/x', '/*', '/API/V2/x', '/api/v2/chat'])
    assert.ok(mayMatchCorsPath(p), p);
  for (const p of ['/api/v1/*', '/api/v1/users/:id', '/admin/x', '/api/v3']) assert.ok(!mayMatchCorsPath(p), p);
});

test('CSP off: no nonce is made and no policy is set; the security set is still appended', () => {
  const c = config({ cspMode: 'off' });
  const list = compileProxiedResponses(c, compileSecurityHeaders(c)).transformsFor(route('/*'));
  const { head, nonce } = relay(list, '/page', { 'content-type': 'text/html' });
  assert.equal(nonce, undefined);
  assert.equal(head.own['content-security-policy'], undefined);
  assert.equal(head.body, undefined);
  assert.ok(head.edits.some((e) => e.append.includes('x-frame-options')));
});

test('HTML gets the nonce policy and a rewriter, its rewritten-body fields dropped; JSON the API policy only', () => {
  const list = compileProxiedResponses(config(), compileSecurityHeaders(config())).transformsFor(route('/*'));
  const html = relay(list, '/page', { 'content-type': 'text/html; charset=utf-8', 'content-encoding': 'gzip' });
  assert.ok(html.nonce);
  assert.ok(String(html.head.own['content-security-policy']).includes(`'nonce-${html.nonce}'`));
  assert.ok(html.head.body?.(new Writable()) instanceof Writable);
  for (const name of ['content-length', 'content-encoding', 'etag', 'server']) assert.ok(html.dropped(name), name);
  const json = relay(list, '/api/v1/x', { 'content-type': 'application/json', etag: '"1"' });
  assert.equal(json.head.own['content-security-policy'], "default-src 'none';frame-ancestors 'none'");
  assert.equal(json.head.body, undefined);
  assert.ok(!json.dropped('etag'));
  // A coding the stamper cannot undo is relayed unstamped (it keeps its policy).
  assert.equal(relay(list, '/p', { 'content-type': 'text/html', 'content-encoding': 'zstd' }).head.body, undefined);
});

test('CORS fields are the gateway’s on /api/v2 paths only, and the upstream’s Vary survives next to Origin', () => {
  const list = compileProxiedResponses(withCors, compileSecurityHeaders(withCors)).transformsFor(route('/*'));
  const v2 = relay(
    list,
    '/api/v2/x',
    { vary: 'Accept-Encoding', 'content-type': 'application/json' },
    { vary: 'Origin' },
  );
  assert.ok(v2.dropped('access-control-allow-origin'));
  assert.equal(v2.head.own.vary, 'Accept-Encoding, Origin');
  const v1 = relay(list, '/api/v1/x', { vary: 'Accept-Encoding' }, {});
  assert.ok(!v1.dropped('access-control-allow-origin'));
  assert.equal(v1.head.own.vary, undefined);
  // A stored head (a cache hit) is edited the same way, and gets the fixed set and the API policy last.
  const stored: OutgoingHttpHeaders = { 'access-control-allow-origin': '*', server: 'x', vary: 'Accept' };
  const own: OutgoingHttpHeaders = { vary: 'Origin' };
  const head: StoredHead = { path: '/api/v2/x', nonce: undefined, own, stored, edits: [] };
  for (const t of list) t.stored?.(head);
  assert.equal(own.vary, 'Accept, Origin');
  for (const t of list) t.answer?.(own);
  const sent = storedClientHeaders(stored, own, head.edits);
  const names = sent.filter((_, i) => i % 2 === 0);
  assert.ok(!names.includes('access-control-allow-origin') && !names.includes('server'), String(names));
  assert.deepEqual(
    names.filter((n) => n === 'vary'),
    ['vary'],
  );
  assert.equal(sent[sent.indexOf('vary') + 1], 'Accept, Origin');
  assert.equal(sent[sent.indexOf('x-content-type-options') + 1], 'nosniff');
  assert.equal(sent[sent.indexOf('content-security-policy') + 1], "default-src 'none';frame-ancestors 'none'");
});
