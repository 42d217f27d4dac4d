import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { startLegacy, type LegacyApp } from '../support/legacy-flask';

// Cache poisoning through parameter order: Flask's request.args.get reads the FIRST value of a repeated name, so
// `?v=evil&v=good` and `?v=good&v=evil` are different requests to it. A key that reorders the query lets an
// attacker store the first answer under the victim's URL. /api/v1/search is public for 60 s and says what Flask read.

let legacy: LegacyApp;
let gw: RunningGateway;

before(async () => {
  legacy = await startLegacy();
  const routes = routesFile('routes:\n  - { id: search, path: /api/v1/search, target: legacy }\n');
  gw = await startGateway({ LEGACY_URL: legacy.url, ROUTES_FILE: routes, RATE_LIMIT: 'off' });
});
after(async () => {
  await gw?.stop();
  await legacy?.stop();
});

const get = (query: string) => send(`${gw.url}/api/v1/search?${query}`);

async function attackThenVictim(attack: string, victimQuery: string, victimReads: string) {
  const planted = await get(attack);
  assert.equal(planted.status, 200);
  assert.equal(planted.headers['x-cache'], 'MISS');
  assert.equal(planted.json().first.v, 'evil', "Flask read the attacker's first value");
  const victim = await get(victimQuery);
  assert.equal(victim.json().first.v, victimReads, `the victim got the attacker's entry: ${victim.body}`);
  assert.equal(victim.headers['x-cache'], 'MISS');
  // The victim's own answer is cached as usual: the key changed, not whether the cache works.
  const again = await get(victimQuery);
  assert.equal(again.headers['x-cache'], 'HIT');
  assert.equal(again.json().first.v, victimReads);
}

test('the values of a repeated name in another order are another entry: the victim gets the value it sent first', async () => {
  await attackThenVictim('cc=1&v=evil&v=good', 'cc=1&v=good&v=evil', 'good');
});

test('names are not reordered either: Flask decodes %76 to v, so a sort by the name as sent would share the entry', async () => {
  await attackThenVictim('cc=2&%76=evil&v=good', 'cc=2&v=good&%76=evil', 'good');
});
