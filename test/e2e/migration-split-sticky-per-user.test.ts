import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { inBatches, sideUpstream } from '../support/migration';
import { TEST_JWT_SECRET, tokens } from '../support/tokens';

let legacy: CountingUpstream;
let fresh: CountingUpstream;
let gw: RunningGateway;

before(async () => {
  legacy = await sideUpstream('legacy');
  fresh = await sideUpstream('new');
  const yaml = `
routes:
  - id: reports
    path: /api/v1/reports/*
    target: ${fresh.url}
    weights: { legacy: 90, new: 10 }
  - id: profile
    path: /api/v1/profile/*
    target: ${fresh.url}
    auth: optional
    weights: { legacy: 90, new: 10 }
`;
  gw = await startGateway({
    LEGACY_URL: legacy.url,
    ROUTES_FILE: routesFile(yaml),
    RATE_LIMIT: 'off',
    JWT_SECRET: TEST_JWT_SECRET,
  });
});
after(async () => {
  await gw?.stop();
  await legacy?.close();
  await fresh?.close();
});

const users = Array.from({ length: 2_000 }, (_, i) => `user${String(i).padStart(6, '0')}-cookie`);

async function sideOf(path: string, headers: Record<string, string>): Promise<string> {
  const res = await send(`${gw.url}${path}`, { headers });
  assert.equal(res.status, 200);
  return res.json().side;
}

test('about 10% of 2,000 cookie users reach the new side, and each stays where it landed', async () => {
  const first = await inBatches(users, 16, (u) => sideOf('/api/v1/reports/q3', { cookie: `figway_bucket=${u}` }));
  const onNew = first.filter((s) => s === 'new').length;
  // Binomial(2000, 0.1): mean 200, sd 13.4; +-60 is over 4 sd.
  assert.ok(onNew > 140 && onNew < 260, `new side got ${onNew} of 2000`);
  const sample = users.slice(0, 300);
  const again = await inBatches(sample, 16, (u) =>
    sideOf('/api/v1/reports/other?x=1', { cookie: `a=b; figway_bucket=${u}` }),
  );
  sample.forEach((u, i) => assert.equal(again[i], first[i], `user ${u} changed side`));
});

test('an authenticated user is bucketed by identity: the cookie does not matter', async () => {
  const subs = Array.from({ length: 2_000 }, (_, i) => `sub-${i}`);
  const sides = await inBatches(subs, 16, (sub) =>
    sideOf('/api/v1/profile/me', {
      authorization: `Bearer ${tokens.valid({ sub })}`,
      cookie: `figway_bucket=first-${sub}`,
    }),
  );
  const onNew = sides.filter((s) => s === 'new').length;
  assert.ok(onNew > 140 && onNew < 260, `new side got ${onNew} of 2000`);
  const sample = subs.slice(0, 200);
  const again = await inBatches(sample, 16, (sub) =>
    sideOf('/api/v1/profile/me', {
      authorization: `Bearer ${tokens.valid({ sub })}`,
      cookie: `figway_bucket=other-${sub}`,
    }),
  );
  sample.forEach((sub, i) => assert.equal(again[i], sides[i], `user ${sub} changed side with another cookie`));
});

test("the upstream's own Set-Cookie fields are kept beside the bucket cookie", async () => {
  const res = await send(`${gw.url}/api/v1/reports/with-cookies`);
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const side = res.json().side;
  assert.deepEqual(
    cookies.filter((c) => !c.startsWith('figway_bucket=')),
    [`${side}-a=1`, `${side}-b=2`],
  );
  assert.equal(cookies.length, 3);
});

test('a client without the cookie gets one (HttpOnly, SameSite=Lax) and keeps its side with it', async () => {
  for (let i = 0; i < 20; i++) {
    const res = await send(`${gw.url}/api/v1/reports/q3`);
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('figway_bucket='));
    assert.ok(cookie, 'a bucket cookie is set');
    assert.match(cookie!, /^figway_bucket=[A-Za-z0-9_-]{22}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/);
    const value = cookie!.split(';')[0];
    const side = res.json().side;
    for (let j = 0; j < 3; j++) {
      const next = await send(`${gw.url}/api/v1/reports/q3`, { headers: { cookie: value } });
      assert.equal(next.json().side, side);
      assert.equal(next.headers['set-cookie'], undefined, 'no new cookie once the client has one');
    }
  }
});
