import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminToken } from '../admin/admin-token.guard';
import { type GatewayError } from '../errors/gateway-error';
import { MemoryStore } from '../store/memory-store';
import { AdminSessions } from './admin-sessions';
import { ConsoleAssets } from './console-assets';
import { ConsolePages } from './console-pages';
import { InstanceBeacon } from './instances';
import { consoleRequestRefused } from './session-cookie';

const request = (method: string, headers: Record<string, string>, protocol = 'http') =>
  ({ method, headers, protocol, host: 'gw.example:8080' }) as unknown as FastifyRequest;

test('console CSRF check: safe methods pass; unsafe ones need the header and, when sent, this origin', () => {
  assert.equal(consoleRequestRefused(request('GET', {})), undefined);
  assert.match(consoleRequestRefused(request('PUT', {}))!, /X-Figway-Console: 1/);
  assert.match(consoleRequestRefused(request('POST', { 'x-figway-console': 'yes' }))!, /X-Figway-Console: 1/);
  const h = { 'x-figway-console': '1' };
  assert.equal(consoleRequestRefused(request('DELETE', h)), undefined, 'no Origin (curl, older browsers)');
  assert.equal(consoleRequestRefused(request('PUT', { ...h, origin: 'http://gw.example:8080' })), undefined);
  // A TLS proxy the gateway does not trust: the browser saw https, the gateway plain HTTP.
  assert.equal(consoleRequestRefused(request('PUT', { ...h, origin: 'https://gw.example:8080' })), undefined);
  for (const origin of ['http://evil.example', 'http://gw.example:8081', 'null', 'not a url'])
    assert.match(consoleRequestRefused(request('PATCH', { ...h, origin }))!, /not this console's origin/, origin);
  assert.match(
    consoleRequestRefused(request('PUT', { ...h, origin: 'http://gw.example:8080' }, 'https'))!,
    /not this console's origin/,
    'a downgrade is not taken',
  );
});

test('sessions: found until they end or expire; ids that are not 43 base64url characters are not looked up', async () => {
  const sessions = new AdminSessions(new MemoryStore());
  const now = Date.now();
  const { id, expiresAt } = await sessions.create(now);
  assert.equal(expiresAt.getTime(), now + 30 * 60_000);
  assert.deepEqual(await sessions.find(id, now), { expiresAt });
  assert.equal(await sessions.find(id, expiresAt.getTime()), undefined, 'expired by its own date');
  assert.equal(await sessions.find(`${id}x`, now), undefined);
  assert.equal(await sessions.find(undefined, now), undefined);
  await sessions.end(id);
  assert.equal(await sessions.find(id, now), undefined);
});

test('without built assets /admin/ answers 503 saying how to build them; with them, the pages', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'figway-console-'));
  const reply = { header: () => reply } as unknown as FastifyReply;
  const sessions = new AdminSessions(new MemoryStore());
  const off = new ConsolePages(new AdminToken('t'), sessions, new ConsoleAssets(empty));
  await assert.rejects(off.page(request('GET', {}), reply), (err: GatewayError) => {
    assert.equal(err.status, 503);
    assert.match(err.message, /^console assets not built: npm run build/);
    return true;
  });
  for (const f of ['signin.js', 'console.js', 'console.css']) writeFileSync(join(empty, f), `/* ${f} */`);
  const on = new ConsolePages(new AdminToken('t'), sessions, new ConsoleAssets(empty));
  assert.match(await on.page(request('GET', {}), reply), /id="token"/);
  assert.equal(on.asset('console.css', reply).toString(), '/* console.css */');
  // No ADMIN_TOKEN: the console does not exist, like the rest of /admin.
  const none = new ConsolePages(new AdminToken(undefined), sessions, new ConsoleAssets(empty));
  await assert.rejects(none.page(request('GET', {}), reply), (err: GatewayError) => err.status === 404);
});

test("instances: the ids of this and the last minute; seen_at from the newest minute's beat count, never later than now", async () => {
  const store = new MemoryStore();
  const minute = 60_000;
  const now = 1_000 * minute + 35_000;
  await store.addCounts(`figway:instances:${999}`, { old: 6, both: 6 }, 180_000);
  await store.addCounts(`figway:instances:${1000}`, { both: 4, fresh: 1 }, 180_000);
  await store.addCounts(`figway:instances:${998}`, { gone: 6 }, 180_000);
  const seen = await new InstanceBeacon(store, 'me').seen(now);
  assert.deepEqual(seen, [
    { id: 'both', seen_at: new Date(1_000 * minute + 30_000).toISOString() },
    { id: 'fresh', seen_at: new Date(1_000 * minute).toISOString() },
    { id: 'old', seen_at: new Date(999 * minute + 50_000).toISOString() },
  ]);
  await store.addCounts(`figway:instances:${1000}`, { burst: 9 }, 180_000);
  const burst = (await new InstanceBeacon(store, 'me').seen(now)).find((i) => i.id === 'burst');
  assert.equal(burst?.seen_at, new Date(now).toISOString(), 'capped at now');
});
