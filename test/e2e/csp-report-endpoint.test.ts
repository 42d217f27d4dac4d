import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { waitFor } from '../support/wait';

let upstream: CountingUpstream;
let gw: RunningGateway;
before(async () => {
  upstream = await startCountingUpstream();
  // Authentication everywhere on the catch-all would still leave reports alone: they are the gateway's own path.
  gw = await startGateway({ LEGACY_URL: upstream.url, RATE_LIMIT: '1000/60s', LOG_LEVEL: 'info' });
});
after(async () => {
  await gw?.stop();
  await upstream?.close();
});

const metric = async (directive: string) => {
  const m = new RegExp(`^gateway_csp_reports_total\\{directive="${directive}"\\} (\\d+)`, 'm').exec(
    (await send(`${gw.url}/metrics`)).body.toString(),
  );
  return m ? Number(m[1]) : 0;
};

test('both report formats are accepted with 204, counted by directive and logged without query strings', async () => {
  const legacy = await send(`${gw.url}/csp-report`, {
    method: 'POST',
    headers: { 'content-type': 'application/csp-report', cookie: 'session=secret-cookie' },
    body: JSON.stringify({
      'csp-report': {
        'document-uri': 'http://h/p?token=secret-token',
        'violated-directive': "script-src-elem 'self'",
        'blocked-uri': 'inline',
      },
    }),
  });
  assert.equal(legacy.status, 204);
  const api = await send(`${gw.url}/csp-report`, {
    method: 'POST',
    headers: { 'content-type': 'application/reports+json' },
    body: JSON.stringify([
      { type: 'csp-violation', body: { effectiveDirective: 'script-src-attr', documentURL: 'http://h/p' } },
      { type: 'csp-violation', body: { effectiveDirective: 'no-such-thing' } },
    ]),
  });
  assert.equal(api.status, 204);
  assert.equal(await metric('script-src-elem'), 1);
  assert.equal(await metric('script-src-attr'), 1);
  assert.equal(await metric('other'), 1);
  assert.equal(upstream.hits(), 0, 'never proxied');
  const violations = () =>
    gw.child
      .output()
      .split('\n')
      .filter((l) => l.includes('csp violation'));
  // Each line is written as its report is handled: wait for the three (the answers came first).
  await waitFor(() => violations().length >= 3, 5_000, { what: 'three csp violation log lines' });
  const lines = violations();
  assert.equal(lines.length, 3);
  assert.ok(!lines.join('\n').includes('secret'), 'no cookie, no query string');
});

test('wrong media type 415, body over 64 KiB 413, not JSON 400, other methods 405: all problem+json', async () => {
  const url = `${gw.url}/csp-report`;
  const r415 = await send(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
  assert.equal(r415.status, 415);
  const r413 = await send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/csp-report' },
    body: 'x'.repeat(65 * 1024),
  });
  assert.equal(r413.status, 413);
  const r400 = await send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/csp-report' },
    body: '{oops',
  });
  assert.equal(r400.status, 400);
  const r405 = await send(url);
  assert.equal(r405.status, 405);
  for (const r of [r415, r413, r400, r405])
    assert.match(String(r.headers['content-type']), /application\/problem\+json/);
  assert.equal(upstream.hits(), 0);
});

test('past 20 reports a minute from one client: 429 with Retry-After, counted as rate limited', async () => {
  let status = 0;
  let res;
  for (let i = 0; i < 25 && status !== 429; i++) {
    res = await send(`${gw.url}/csp-report`, {
      method: 'POST',
      headers: { 'content-type': 'application/csp-report' },
      body: JSON.stringify({ 'csp-report': { 'effective-directive': 'img-src' } }),
    });
    status = res.status;
  }
  assert.equal(status, 429);
  assert.ok(Number(res!.headers['retry-after']) >= 1);
  assert.match(
    (await send(`${gw.url}/metrics`)).body.toString(),
    /gateway_rate_limited_total\{route="csp-report"\} [1-9]/,
  );
});
