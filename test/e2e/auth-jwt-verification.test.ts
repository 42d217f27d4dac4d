import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { TEST_JWT_SECRET, tokens } from '../support/tokens';

let upstream: CountingUpstream;
let gw: RunningGateway;
let strict: RunningGateway;

before(async () => {
  upstream = await startCountingUpstream();
  const env = { LEGACY_URL: upstream.url, JWT_SECRET: TEST_JWT_SECRET, RATE_LIMIT: 'off' };
  [gw, strict] = await Promise.all([
    startGateway(env),
    startGateway({ ...env, JWT_ISSUER: 'https://id.example', JWT_AUDIENCE: 'figway' }),
  ]);
});
after(async () => {
  await Promise.all([gw?.stop(), strict?.stop()]);
  await upstream?.close();
});

const me = (g: RunningGateway, token?: string) =>
  send(`${g.url}/api/v2/me`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

test('a valid HS256 token gets through, and /api/v2/me says how the caller was proven', async () => {
  const res = await me(gw, tokens.valid());
  assert.equal(res.status, 200, res.body.toString());
  assert.equal(res.json().user_id, 'user-7');
  assert.equal(res.json().method, 'jwt');
});

const refused: [string, () => string, string][] = [
  ['alg=none', tokens.algNone, 'alg_not_allowed'],
  ['an RS256 token where HS256 is configured (algorithm confusion)', tokens.rs256, 'alg_not_allowed'],
  ['an expired token', tokens.expired, 'token_expired'],
  ['a token without exp', tokens.noExp, 'exp_missing'],
  [
    'a token signed with another key',
    () => tokens.valid({}, 'another-secret-that-is-long-enough-000000000'),
    'signature_invalid',
  ],
  ['garbage', tokens.garbage, 'token_malformed'],
  ['an oversized token', tokens.oversized, 'token_too_large'],
  ['an empty bearer', () => '', 'credentials_missing'],
];

for (const [name, make, reason] of refused) {
  test(`${name} is a 401 problem with reason ${reason}`, async () => {
    const res = await me(gw, make());
    assert.equal(res.status, 401, res.body.toString());
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.equal(res.json().code, 'UNAUTHENTICATED');
    if (reason !== 'credentials_missing') assert.equal(res.json().reason, reason);
  });
}

test('no credentials at all is a 401 credentials_missing', async () => {
  const res = await me(gw);
  assert.equal(res.status, 401);
  assert.equal(res.json().reason, 'credentials_missing');
});

test('issuer and audience are checked when configured', async () => {
  assert.equal((await me(strict, tokens.valid({ aud: 'figway' }))).json().reason, 'issuer_invalid');
  assert.equal(
    (await me(strict, tokens.valid({ aud: 'figway', iss: 'https://evil.example' }))).json().reason,
    'issuer_invalid',
  );
  assert.equal((await me(strict, tokens.valid({ iss: 'https://id.example' }))).json().reason, 'audience_invalid');
  assert.equal((await me(strict, tokens.valid({ iss: 'https://id.example', aud: 'figway' }))).status, 200);
});

test('whatever the token holds, the gateway never answers 500', async () => {
  const nasty = [
    '..',
    '.'.repeat(500),
    'eyJhbGciOiJIUzI1NiJ9.%%%.x',
    `${Buffer.from('{"alg":"HS256","kid":"../../etc"}').toString('base64url')}.e30.x`,
    'Bearer',
    '\u00e9\u00e9',
  ];
  for (const t of nasty) {
    const res = await send(`${gw.url}/api/v2/me`, { headers: { authorization: `Bearer ${t}` } });
    assert.equal(res.status, 401, `${t}: ${res.status} ${res.body}`);
  }
});
