import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startRecordingUpstream } from '../support/recording-upstream';
import { TEST_JWT_SECRET, tokens } from '../support/tokens';

// RFC 9110 7.6.1 lets a client name fields in Connection so the next hop drops them. Naively applied after the
// gateway has added its own fields, that lets a client strip X-Forwarded-For or the identity the gateway vouches
// for, or keep its own forged X-Figway-* alive. The gateway's fields must survive, the client's must not.

let up: Awaited<ReturnType<typeof startRecordingUpstream>>;
let gw: RunningGateway;
before(async () => {
  up = await startRecordingUpstream();
  const routes = routesFile(`
routes:
  - { id: who, path: /api/v1/who/*, target: legacy, auth: optional }
`);
  gw = await startGateway({ LEGACY_URL: up.url, ROUTES_FILE: routes, JWT_SECRET: TEST_JWT_SECRET, RATE_LIMIT: 'off' });
});
after(async () => {
  await gw?.stop();
  await up?.close();
});

async function lastReceived(path: string, headers: Record<string, string>) {
  up.received.length = 0;
  const res = await send(`${gw.url}${path}`, { headers });
  assert.equal(res.status, 200, res.body.toString());
  assert.equal(up.received.length, 1);
  return up.received[0].fields;
}

test("Connection naming X-Forwarded-For, X-Forwarded-Proto and X-Request-Id does not strip the gateway's own", async () => {
  const f = await lastReceived('/api/v1/echo/a', {
    connection: 'close, X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host, X-Request-Id',
  });
  assert.deepEqual(f.get('x-forwarded-for'), ['127.0.0.1']);
  assert.deepEqual(f.get('x-forwarded-proto'), ['http']);
  assert.equal(f.get('x-forwarded-host')?.length, 1);
  assert.match(f.get('x-request-id')?.[0] ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(
    f.get('connection')?.some((v) => /forwarded|request-id/i.test(v)) ?? false,
    false,
    "the client's Connection list is not relayed",
  );
});

test('Connection naming X-Figway-User-Id cannot drop the identity the gateway set for a verified caller', async () => {
  const f = await lastReceived('/api/v1/who/me', {
    authorization: `Bearer ${tokens.valid()}`,
    connection: 'X-Figway-User-Id, X-Figway-Auth-Method',
  });
  assert.deepEqual(f.get('x-figway-user-id'), ['user-7']);
  assert.deepEqual(f.get('x-figway-auth-method'), ['jwt']);
});

test('a forged X-Figway-User-Id never reaches legacy, whatever its spelling, even when listed in Connection', async () => {
  for (const name of ['X-Figway-User-Id', 'x-figway-user-id', 'X_Figway_User_Id', 'X-FIGWAY-AUTH-METHOD']) {
    const f = await lastReceived('/api/v1/who/me', { [name]: 'admin', connection: `keep-alive, ${name}` });
    for (const [k, v] of f) assert.ok(!/^x[-_]figway/i.test(k), `${name}: legacy got ${k}: ${v}`);
  }
});

test('an anonymous caller with a forged identity plus Authorization named in Connection is still anonymous', async () => {
  const f = await lastReceived('/api/v1/who/me', {
    'x-figway-user-id': 'admin',
    authorization: 'Bearer forged',
    connection: 'Authorization',
  });
  assert.equal(f.get('x-figway-user-id'), undefined);
  assert.equal(f.get('authorization'), undefined, 'a field the client listed as hop-by-hop is dropped, not relayed');
});
