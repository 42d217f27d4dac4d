import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, test } from 'node:test';
import jwt from 'jsonwebtoken';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startRecordingUpstream } from '../support/recording-upstream';

// Token forgeries from the JWT attack catalogue (RFC 8725 sections 2.1-2.3, CVE-2015-9235, CVE-2018-0114) that
// auth-jwt-verification and auth-public-keys-and-jwks do not already try, against RS256 keys. Each is sent to a
// proxied `auth: required` route: the proof is the 401 AND that legacy never saw the request.

const real = generateKeyPairSync('rsa', { modulusLength: 2048 });
const evil = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicPem = real.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

let up: Awaited<ReturnType<typeof startRecordingUpstream>>;
let jwks: CountingUpstream;
let attacker: CountingUpstream;
const jwksPaths: string[] = [];
let viaPem: RunningGateway;
let viaJwks: RunningGateway;

before(async () => {
  up = await startRecordingUpstream();
  jwks = await startCountingUpstream((req, res) => {
    jwksPaths.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({ keys: [{ ...real.publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' }] }),
    );
  });
  attacker = await startCountingUpstream((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [{ ...evil.publicKey.export({ format: 'jwk' }), kid: 'k1' }] }));
  });
  const routes = routesFile(`
routes:
  - { id: guarded, path: /api/v1/guarded/*, target: legacy, auth: required }
`);
  const base = { LEGACY_URL: up.url, ROUTES_FILE: routes, RATE_LIMIT: 'off' };
  [viaPem, viaJwks] = await Promise.all([
    startGateway({ ...base, JWT_PUBLIC_KEY: publicPem }),
    startGateway({ ...base, JWT_JWKS_URL: `${jwks.url}/jwks.json` }),
  ]);
});
after(async () => {
  await Promise.all([viaPem?.stop(), viaJwks?.stop()]);
  await Promise.all([up?.close(), jwks?.close(), attacker?.close()]);
});

const sign = (claims: object, header: object = {}, key = real.privateKey) =>
  jwt.sign({ sub: 'user-7', exp: now() + 300, ...claims }, key, {
    algorithm: 'RS256',
    header: { alg: 'RS256', kid: 'k1', ...header } as jwt.JwtHeader,
  });

async function refused(
  gw: RunningGateway,
  token: string,
  path = '/api/v1/guarded/x',
  headers: Record<string, string> = {},
) {
  up.received.length = 0;
  const res = await send(`${gw.url}${path}`, {
    headers: token ? { authorization: `Bearer ${token}`, ...headers } : headers,
  });
  assert.equal(res.status, 401, res.body.toString());
  assert.equal(up.received.length, 0, 'legacy never saw the forged request');
  return res.json();
}

test('the real key is accepted on both gateways (the baseline the forgeries are measured against)', async () => {
  for (const gw of [viaPem, viaJwks]) {
    up.received.length = 0;
    const res = await send(`${gw.url}/api/v1/guarded/x`, { headers: { authorization: `Bearer ${sign({})}` } });
    assert.equal(res.status, 200, res.body.toString());
    assert.deepEqual(up.received[0].fields.get('x-figway-user-id'), ['user-7']);
  }
});

test('alg "none" in any spelling, with or without a signature part, is refused on an RS256 gateway', async () => {
  const claims = b64({ sub: 'admin', exp: now() + 300 });
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    await refused(viaPem, `${b64({ alg, typ: 'JWT' })}.${claims}.`);
    await refused(viaPem, `${b64({ alg, typ: 'JWT' })}.${claims}.c2lnbmF0dXJl`);
  }
});

test('algorithm confusion: HS256 signed with the RS256 public key (PEM as the HMAC secret) is refused', async () => {
  const forged = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'admin', exp: now() + 300 })}`;
  const { createHmac } = await import('node:crypto');
  for (const secret of [publicPem, publicPem.trim()]) {
    const sig = createHmac('sha256', secret).update(forged).digest('base64url');
    const body = await refused(viaPem, `${forged}.${sig}`);
    assert.equal(body.reason, 'alg_not_allowed');
  }
});

test('a token carrying its own key (jwk / x5c header, CVE-2018-0114) is not verified with that key', async () => {
  const jwk = evil.publicKey.export({ format: 'jwk' });
  await refused(viaPem, sign({ sub: 'admin' }, { jwk }, evil.privateKey));
  await refused(viaJwks, sign({ sub: 'admin' }, { jwk, kid: 'k1' }, evil.privateKey));
  await refused(viaJwks, sign({ sub: 'admin' }, { x5c: ['MIIBfake'], kid: 'k1' }, evil.privateKey));
});

test('jku and x5u pointing at an attacker are never fetched, whatever the kid', async () => {
  jwksPaths.length = 0;
  for (const header of [
    { jku: `${attacker.url}/keys` },
    { x5u: `${attacker.url}/cert.pem` },
    { jku: `${attacker.url}/keys`, kid: 'unknown-kid' },
  ]) {
    await refused(viaJwks, sign({ sub: 'admin' }, header, evil.privateKey));
  }
  assert.equal(attacker.hits(), 0);
  assert.ok(
    jwksPaths.every((p) => p === '/jwks.json'),
    `only the configured JWKS URL was fetched: ${jwksPaths}`,
  );
});

test('a kid with path traversal or injection text selects no key and fetches nothing it names', async () => {
  jwksPaths.length = 0;
  for (const kid of ['../../../../dev/null', '/etc/passwd', "k1' OR '1'='1", 'k1\u0000', `${attacker.url}/keys`]) {
    await refused(viaJwks, sign({ sub: 'admin' }, { kid }, evil.privateKey));
    await refused(viaPem, sign({ sub: 'admin' }, { kid }, evil.privateKey));
  }
  assert.equal(attacker.hits(), 0);
  assert.ok(
    jwksPaths.every((p) => p === '/jwks.json'),
    `only the configured JWKS URL was fetched: ${jwksPaths}`,
  );
});

test('expired by a little more than the 60 s skew is refused; inside the skew is accepted', async () => {
  const body = await refused(viaPem, sign({ exp: now() - 62 }));
  assert.equal(body.reason, 'token_expired');
  up.received.length = 0;
  const inSkew = await send(`${viaPem.url}/api/v1/guarded/x`, {
    headers: { authorization: `Bearer ${sign({ exp: now() - 30 })}` },
  });
  assert.equal(
    inSkew.status,
    200,
    'the documented 60 s of skew is honoured, so the refusal above is about the skew edge',
  );
});

test('a token in the query string or a cookie is not a credential', async () => {
  const token = sign({});
  for (const q of ['access_token', 'token', 'jwt', 'id_token']) {
    const body = await refused(viaPem, '', `/api/v1/guarded/x?${q}=${token}`);
    assert.equal(body.reason, 'credentials_missing');
  }
  await refused(viaPem, '', '/api/v1/guarded/x', { cookie: `access_token=${token}; jwt=${token}` });
});

test('a valid signature does not rescue a header lying about its algorithm family (RS256 token labelled PS256/ES256)', async () => {
  const [, payload, sig] = sign({ sub: 'admin' }).split('.');
  for (const alg of ['PS256', 'ES256', 'RS512'])
    await refused(viaPem, `${b64({ alg, typ: 'JWT', kid: 'k1' })}.${payload}.${sig}`);
});
