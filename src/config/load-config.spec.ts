import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from './config-error';
import { loadConfig } from './load-config';

function dirWithRoutes(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'figway-cfg-'));
  writeFileSync(join(dir, 'routes.yaml'), yaml);
  return dir;
}

test('defaults follow the environment contract', () => {
  const c = loadConfig({ ROUTES_FILE: 'routes.yaml' }, dirWithRoutes('routes: []\n'));
  assert.equal(c.port, 8080);
  assert.deepEqual(c.legacyUrls, ['http://127.0.0.1:5000']);
  assert.equal(c.redis, undefined);
  assert.equal(c.upstream.timeoutMs, 30_000);
  assert.equal(c.routeAllToLegacy, false);
  assert.equal(c.auth.fallback, 'off');
  assert.equal(c.cacheEnabled, true);
  assert.deepEqual(c.rateLimit, { points: 600, durationMs: 60_000 });
  assert.equal(c.cspMode, 'enforce');
});

test('flask_session is an alias of legacy_session, and LEGACY_URL lists instances', () => {
  const c = loadConfig(
    { ROUTES_FILE: 'routes.yaml', FALLBACK_AUTH: 'flask_session', LEGACY_URL: 'http://a:1, http://b:2' },
    dirWithRoutes('routes: []\n'),
  );
  assert.equal(c.auth.fallback, 'legacy_session');
  assert.deepEqual(c.legacyUrls, ['http://a:1', 'http://b:2']);
});

test('every bad key is named in one error', () => {
  const env = {
    ROUTES_FILE: 'routes.yaml',
    PORT: 'eighty',
    CSP_MODE: 'maybe',
    RATE_LIMIT: 'lots',
    LEGACY_URL: 'ftp://x',
  };
  try {
    loadConfig(env, dirWithRoutes('routes: []\n'));
    assert.fail('expected a ConfigError');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    for (const key of ['PORT', 'CSP_MODE', 'RATE_LIMIT', 'LEGACY_URL']) assert.match(err.message, new RegExp(key));
  }
});

test('a bad routes.yaml names each bad entry', () => {
  const yaml =
    'routes:\n  - id: Bad Id\n    path: nope\n    target: somewhere\n  - id: ok\n    path: /x\n    target: legacy\n    colour: red\n';
  assert.throws(
    () => loadConfig({ ROUTES_FILE: 'routes.yaml' }, dirWithRoutes(yaml)),
    (err: Error) =>
      /routes\[0\] \(Bad Id\) id: /.test(err.message) &&
      /routes\[0\] \(Bad Id\) path: /.test(err.message) &&
      /routes\[0\] \(Bad Id\) target: /.test(err.message) &&
      /routes\[1\] \(ok\): unknown key "colour"/.test(err.message),
  );
});

test('a missing routes file is a config error, not a crash', () => {
  assert.throws(() => loadConfig({ ROUTES_FILE: 'nope.yaml' }, dirWithRoutes('')), ConfigError);
});

test('REDIS_URL selects one server, a cluster or sentinels', () => {
  const dir = dirWithRoutes('routes: []\n');
  const load = (url: string) => loadConfig({ ROUTES_FILE: 'routes.yaml', REDIS_URL: url }, dir).redis;
  assert.deepEqual(load('redis://127.0.0.1:6380/2'), { mode: 'single', url: 'redis://127.0.0.1:6380/2' });
  assert.deepEqual(load('redis+cluster://:pw@10.0.0.1:7000,10.0.0.2'), {
    mode: 'cluster',
    nodes: [
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 6379 },
    ],
    tls: false,
    password: 'pw',
  });
  assert.deepEqual(load('rediss+sentinel://s1:26380,s2/mymaster'), {
    mode: 'sentinel',
    sentinels: [
      { host: 's1', port: 26380 },
      { host: 's2', port: 26379 },
    ],
    name: 'mymaster',
    tls: true,
  });
  assert.throws(() => load('http://nope'), /REDIS_URL/);
  assert.throws(() => load('redis+sentinel://s1:1'), /REDIS_URL/);
});

test('DATA_ENCRYPTION_KEY takes kid:base64 entries of 32 bytes, first one active', () => {
  const dir = dirWithRoutes('routes: []\n');
  const k = (b: number) => Buffer.alloc(32, b).toString('base64');
  const c = loadConfig({ ROUTES_FILE: 'routes.yaml', DATA_ENCRYPTION_KEY: `new:${k(1)}, old:${k(2)}` }, dir);
  assert.deepEqual(
    c.dataKeys?.map((x) => x.id),
    ['new', 'old'],
  );
  assert.throws(
    () =>
      loadConfig({ ROUTES_FILE: 'routes.yaml', DATA_ENCRYPTION_KEY: `a:${Buffer.alloc(16).toString('base64')}` }, dir),
    /DATA_ENCRYPTION_KEY/,
  );
  assert.throws(
    () => loadConfig({ ROUTES_FILE: 'routes.yaml', DATA_ENCRYPTION_KEY: `a:${k(1)},a:${k(2)}` }, dir),
    /appears twice/,
  );
});

test('CORS_ORIGINS: exact origins, or * alone; anything else is named with how to write it', () => {
  const dir = dirWithRoutes('routes: []\n');
  const ok = loadConfig(
    { ROUTES_FILE: 'routes.yaml', CORS_ORIGINS: 'https://app.example.com, http://localhost:3000' },
    dir,
  );
  assert.deepEqual(ok.cors, { origins: ['https://app.example.com', 'http://localhost:3000'], anyOrigin: false });
  assert.deepEqual(loadConfig({ ROUTES_FILE: 'routes.yaml', CORS_ORIGINS: '*' }, dir).cors, {
    origins: [],
    anyOrigin: true,
  });
  assert.deepEqual(loadConfig({ ROUTES_FILE: 'routes.yaml' }, dir).cors, { origins: [], anyOrigin: false });
  for (const bad of [
    'https://app.example.com/',
    'https://app.example.com/path',
    'app.example.com',
    'https://App.example.com',
    '*,https://a.com',
  ]) {
    assert.throws(
      () => loadConfig({ ROUTES_FILE: 'routes.yaml', CORS_ORIGINS: bad }, dir),
      (err: Error) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /CORS_ORIGINS/);
        return true;
      },
      bad,
    );
  }
});

test('boolean variables take true/false, 1/0, yes/no, on/off in any case, spaces trimmed; another word is named', () => {
  const dir = dirWithRoutes('routes: []\n');
  const load = (v: string) => loadConfig({ ROUTES_FILE: 'routes.yaml', ROUTE_ALL_TO_LEGACY: v }, dir).routeAllToLegacy;
  for (const v of ['true', 'TRUE', 'True', ' yes ', 'YES', 'On', '1', '\ttrue\n'])
    assert.equal(load(v), true, JSON.stringify(v));
  for (const v of ['false', 'FALSE', 'No', ' off', 'OFF', '0']) assert.equal(load(v), false, JSON.stringify(v));
  for (const v of ['maybe', 'yes please', 'tru', '', '2', 'enabled']) {
    assert.throws(
      () => load(v),
      (err: Error) => err instanceof ConfigError && /ROUTE_ALL_TO_LEGACY: must be true or false/.test(err.message),
      JSON.stringify(v),
    );
  }
  // Every boolean variable reads the same way.
  const c = loadConfig(
    {
      ROUTES_FILE: 'routes.yaml',
      CACHE_ENABLED: 'FALSE',
      RATE_LIMIT_FAIL_OPEN: 'Off',
      ACCESS_LOG: 'NO',
      TRACE_UPSTREAM_SPANS: 'Yes',
      LEGACY_SESSION_SIGNER: 'ON',
    },
    dir,
  );
  assert.deepEqual(
    [c.cacheEnabled, c.rateLimitFailOpen, c.accessLog, c.traceUpstreamSpans, c.auth.legacySessionSigner],
    [false, false, false, true, true],
  );
});

test('an upstream URL path is a prefix, kept without its trailing slash; query, fragment and credentials are refused', () => {
  const dir = dirWithRoutes('routes:\n  - id: r\n    path: /api/v1/r/*\n    target: http://svc:9000/base/v2/\n');
  const load = (legacy: string) => loadConfig({ ROUTES_FILE: 'routes.yaml', LEGACY_URL: legacy }, dir);
  assert.deepEqual(load('http://host:5000/legacy').legacyUrls, ['http://host:5000/legacy']);
  assert.deepEqual(load('http://host:5000/legacy/, http://other:5000/, HTTP://Other:80').legacyUrls, [
    'http://host:5000/legacy',
    'http://other:5000',
    'http://other',
  ]);
  assert.equal(load('http://host:5000').routes[0].target, 'http://svc:9000/base/v2');
  for (const bad of [
    'http://host/legacy?tenant=a',
    'http://host/legacy#x',
    'http://user:pw@host/legacy',
    'http://host/?',
  ]) {
    assert.throws(
      () => load(bad),
      (err: Error) => err instanceof ConfigError && /LEGACY_URL/.test(err.message),
      bad,
    );
  }
  const badTarget = dirWithRoutes('routes:\n  - id: r\n    path: /r\n    target: http://svc:9000/base?x=1\n');
  assert.throws(() => loadConfig({ ROUTES_FILE: 'routes.yaml' }, badTarget), /routes\[0\] \(r\) target: /);
});
