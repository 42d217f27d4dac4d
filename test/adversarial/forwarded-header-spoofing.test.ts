import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startRecordingUpstream } from '../support/recording-upstream';

// Without TRUST_PROXY every client is untrusted: whatever it claims about the original client, host or scheme
// (X-Forwarded-*, RFC 7239 Forwarded, X-Real-IP, X-Client-IP, True-Client-IP) must neither reach legacy as sent nor
// buy a fresh rate-limit bucket. header-hygiene covers plain XFF/XFH/XFP replacement; these are the evasions.

let up: Awaited<ReturnType<typeof startRecordingUpstream>>;
let gw: RunningGateway;
before(async () => {
  up = await startRecordingUpstream();
  const routes = routesFile(`
routes:
  - { id: limited, path: /api/v1/limited/*, target: legacy, rate_limit: 3/1m }
`);
  gw = await startGateway({ LEGACY_URL: up.url, ROUTES_FILE: routes });
});
after(async () => {
  await gw?.stop();
  await up?.close();
});

const spoofs: Record<string, string>[] = [
  { 'x-forwarded-for': '203.0.113.1' },
  { 'x-forwarded-for': '203.0.113.2, 198.51.100.9', forwarded: 'for=203.0.113.2;proto=https;host=evil.example' },
  {
    'x-real-ip': '203.0.113.3',
    'x-client-ip': '203.0.113.3',
    'true-client-ip': '203.0.113.3',
    'cf-connecting-ip': '203.0.113.3',
    'x-forwarded-prefix': '/evil',
  },
  {
    'x-forwarded-for': '::1',
    forwarded: 'for="[2001:db8::1]"',
    'x-forwarded-host': 'evil.example',
    'x-forwarded-proto': 'https',
  },
];

test('spoofed forwarding fields from an untrusted client never reach legacy as sent', async () => {
  for (const h of spoofs) {
    up.received.length = 0;
    const res = await send(`${gw.url}/api/v1/echo/s`, { headers: { host: 'shop.example', ...h } });
    assert.equal(res.status, 200);
    const f = up.received[0].fields;
    assert.deepEqual(f.get('x-forwarded-for'), ['127.0.0.1'], JSON.stringify(h));
    assert.deepEqual(f.get('x-forwarded-host'), ['shop.example']);
    assert.deepEqual(f.get('x-forwarded-proto'), ['http']);
    for (const [name, value] of Object.entries(h)) {
      assert.ok(!(f.get(name) ?? []).includes(value), `${name}: ${value} reached legacy as sent`);
    }
    assert.equal(f.get('forwarded'), undefined, 'RFC 7239 Forwarded from an untrusted client is dropped');
    assert.equal(f.get('x-real-ip'), undefined);
  }
});

test('a different spoofed client address on each request does not reset the rate limit: the 4th is 429', async () => {
  up.received.length = 0;
  const statuses: number[] = [];
  for (const h of spoofs) statuses.push((await send(`${gw.url}/api/v1/limited/x`, { headers: h })).status);
  assert.deepEqual(statuses, [200, 200, 200, 429]);
  assert.equal(
    up.received.filter((r) => r.url === '/api/v1/limited/x').length,
    3,
    'the refused request never reached legacy',
  );
});
