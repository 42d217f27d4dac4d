import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { after, before, test } from 'node:test';
import jwt from 'jsonwebtoken';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { waitFor } from '../support/wait';

const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const k1 = rsa();
const k2 = rsa();
const pemKey = ec();

let upstream: CountingUpstream;
let jwks: CountingUpstream;
let attacker: CountingUpstream;
let published: { kid: string; key: KeyObject }[] = [{ kid: 'k1', key: k1.publicKey }];
let viaJwks: RunningGateway;
let viaPem: RunningGateway;

before(async () => {
  upstream = await startCountingUpstream();
  jwks = await startCountingUpstream((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        keys: published.map(({ kid, key }) => ({ ...key.export({ format: 'jwk' }), kid, use: 'sig' })),
      }),
    );
  });
  attacker = await startCountingUpstream();
  const base = { LEGACY_URL: upstream.url, RATE_LIMIT: 'off' };
  [viaJwks, viaPem] = await Promise.all([
    startGateway({
      ...base,
      JWT_JWKS_URL: `${jwks.url}/.well-known/jwks.json`,
      JWT_JWKS_MIN_REFRESH_S: '2',
      JWT_ALGORITHMS: 'RS256',
    }),
    startGateway({
      ...base,
      JWT_PUBLIC_KEY: (pemKey.publicKey.export({ type: 'spki', format: 'pem' }) as string).replace(/\n/g, '\\n'),
    }),
  ]);
});
after(async () => {
  await Promise.all([viaJwks?.stop(), viaPem?.stop()]);
  await Promise.all([upstream?.close(), jwks?.close(), attacker?.close()]);
});

const sign = (key: KeyObject, alg: jwt.Algorithm, header: object = {}) =>
  jwt.sign({ sub: 'kid-user' }, key, { algorithm: alg, expiresIn: 300, header: { alg, ...header } as jwt.JwtHeader });
const me = (g: RunningGateway, token: string) =>
  send(`${g.url}/api/v2/me`, { headers: { authorization: `Bearer ${token}` } });

test('JWT_PUBLIC_KEY (PEM, escaped newlines) verifies ES256 tokens and refuses HS256 ones made with that key', async () => {
  assert.equal((await me(viaPem, sign(pemKey.privateKey, 'ES256'))).status, 200);
  const pemText = pemKey.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  // The classic confusion attack: HMAC-sign with the public key's text and hope the verifier uses it as a secret.
  const confused = jwt.sign(
    { sub: 'x', exp: Math.floor(Date.now() / 1000) + 300 },
    pemText as never,
    { algorithm: 'HS256', allowInsecureKeySizes: true } as jwt.SignOptions,
  );
  assert.equal((await me(viaPem, confused)).json().reason, 'alg_not_allowed');
});

test('JWKS: keys are found by kid; a token never makes the gateway fetch the URL it names (jku)', async () => {
  const ok = await me(viaJwks, sign(k1.privateKey, 'RS256', { kid: 'k1', jku: `${attacker.url}/keys` }));
  assert.equal(ok.status, 200, ok.body.toString());
  assert.equal(attacker.hits(), 0);
});

test('JWKS: an unknown kid is refused without flooding the identity provider, and a rotated key is picked up', async () => {
  const before = jwks.hits();
  for (let i = 0; i < 20; i++) {
    const res = await me(viaJwks, sign(k2.privateKey, 'RS256', { kid: `forged-${i}` }));
    assert.equal(res.json().reason, 'key_unknown');
  }
  assert.ok(jwks.hits() - before <= 1, `the JWKS was fetched ${jwks.hits() - before} times for 20 forged kids`);
  published = [...published, { kid: 'k2', key: k2.publicKey }];
  // The new kid is refused until JWT_JWKS_MIN_REFRESH_S (2 s) allows a refetch; the first request after that
  // fetches the JWKS again and is let in. Polled with the new key's token: every answer before is key_unknown.
  const token = sign(k2.privateKey, 'RS256', { kid: 'k2' });
  const fetchedBefore = jwks.hits();
  await waitFor(
    async () => {
      const res = await me(viaJwks, token);
      if (res.status === 200) return true;
      assert.equal(res.json().reason, 'key_unknown', res.body.toString());
      return false;
    },
    6_000,
    { what: 'the rotated key k2 to be accepted', stepMs: 100 },
  );
  assert.equal(jwks.hits() - fetchedBefore, 1, 'the JWKS was fetched more than once for the rotated key');
});

test('auth outcomes are counted in gateway_auth_total by method and result', async () => {
  const text = (await send(`${viaJwks.url}/metrics`)).body.toString();
  assert.match(text, /gateway_auth_total\{method="jwt",result="ok"\} [1-9]/);
  assert.match(text, /gateway_auth_total\{method="jwt",result="key_unknown"\} [1-9]/);
});
