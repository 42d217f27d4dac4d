import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import type { GatewayConfig } from '../config';
import { compileProxiedHeaders } from './proxied-headers';
import { compileSecurityHeaders, securityHeadLines } from './security-headers';
import { installSecurityHeaders } from './security-hooks';

const config = (over: Partial<GatewayConfig> = {}) => ({ cspMode: 'enforce', ...over }) as GatewayConfig;

/** What Fastify sends for one JSON and one HTML route with the gateway's helmet setup. */
async function fastifyHeaders(c: GatewayConfig) {
  const app = Fastify();
  await installSecurityHeaders(app, c, compileSecurityHeaders(c));
  app.get('/json', async () => ({ ok: true }));
  app.get('/html', async (_req, reply) => reply.type('text/html; charset=utf-8').send('<p>x</p>'));
  const json = await app.inject('/json');
  const html = await app.inject('/html');
  const html2 = await app.inject('/html');
  await app.close();
  return { json: json.headers, html: html.headers, html2: html2.headers };
}

test('helmet on Fastify replies and the forwarder on proxied ones send the same fields, computed once', async () => {
  const c = config();
  const sec = compileSecurityHeaders(c);
  const { json } = await fastifyHeaders(c);
  for (const [name, value] of Object.entries(sec.fixed)) assert.equal(json[name], value, name);
  const proxied = compileProxiedHeaders(sec).withFixed({});
  const securityNames = (h: Record<string, unknown>) =>
    Object.keys(h)
      .filter((n) => !['content-type', 'content-length', 'date', 'connection', 'keep-alive'].includes(n))
      .sort();
  assert.deepEqual(securityNames(json), securityNames(proxied as Record<string, unknown>));
  assert.equal(json['content-security-policy'], "default-src 'none';frame-ancestors 'none'");
  assert.equal(proxied['content-security-policy'], json['content-security-policy']);
  assert.equal(json['strict-transport-security'], undefined, 'no HSTS without TLS');
  assert.equal(json['x-frame-options'], 'DENY');
  assert.equal(json['x-content-type-options'], 'nosniff');
});

test('HTML answered by Fastify gets the nonce policy, a fresh nonce each time', async () => {
  const { html, html2 } = await fastifyHeaders(config());
  const a = /'nonce-([A-Za-z0-9+/=]+)'/.exec(String(html['content-security-policy']))?.[1];
  const b = /'nonce-([A-Za-z0-9+/=]+)'/.exec(String(html2['content-security-policy']))?.[1];
  assert.ok(a && b && a !== b);
  assert.match(String(html['content-security-policy']), /frame-ancestors 'none';report-uri \/csp-report$/);
  assert.equal(html['reporting-endpoints'], undefined, 'report-to only over TLS');
});

test('report-only moves the policy to the -Report-Only field; off sends no CSP; TLS turns HSTS on', async () => {
  const ro = await fastifyHeaders(config({ cspMode: 'report-only' }));
  assert.equal(ro.json['content-security-policy'], undefined);
  assert.match(String(ro.html['content-security-policy-report-only']), /'nonce-/);
  const off = await fastifyHeaders(config({ cspMode: 'off' }));
  assert.equal(off.html['content-security-policy'], undefined);
  assert.equal(off.html['content-security-policy-report-only'], undefined);
  assert.equal(off.html['reporting-endpoints'], undefined);
  assert.equal(off.json['x-content-type-options'], 'nosniff');
  const tls = compileSecurityHeaders(config({ tls: { certFile: 'c', keyFile: 'k' } }));
  assert.match(tls.fixed['strict-transport-security'], /max-age=31536000/);
  assert.match(tls.csp.htmlPolicy('n'), /report-uri \/csp-report;report-to csp-endpoint$/);
  assert.equal(tls.fixed['reporting-endpoints'], 'csp-endpoint="/csp-report"');
});

test('raw head lines for socket-written answers carry the same fields as a Fastify reply, HSTS with TLS', async () => {
  for (const c of [
    config(),
    config({ tls: { certFile: 'c', keyFile: 'k' } } as Partial<GatewayConfig>),
    config({ cspMode: 'off' }),
  ]) {
    const lines = securityHeadLines(compileSecurityHeaders(c));
    assert.ok(lines.endsWith('\r\n'));
    const raw = Object.fromEntries(
      lines
        .trimEnd()
        .split('\r\n')
        .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
    );
    const { json } = await fastifyHeaders(c);
    for (const [name, value] of Object.entries(raw)) assert.equal(json[name], value, name);
    assert.equal('strict-transport-security' in raw, Boolean(c.tls));
    assert.equal('content-security-policy' in raw, c.cspMode !== 'off');
  }
});
