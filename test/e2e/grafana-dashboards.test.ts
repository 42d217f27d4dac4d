import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { ROOT } from '../support/paths';
import { refusingPort, type RefusingPort } from '../support/ports';
import { promqlNames, sampleLabels } from '../support/promql';
import { TEST_JWT_SECRET, tokens } from '../support/tokens';
import { waitFor } from '../support/wait';

// The Grafana dashboards must only ask for series a real gateway exports: after real traffic, every metric name
// in a panel query must be a sample name of /metrics (histograms as _bucket/_sum/_count, exactly as scraped), and
// every label a query matches or groups by must be on that metric. A renamed metric or label then fails here,
// not as an empty panel in the middle of an incident.

const DASHBOARDS = join(ROOT, 'grafana/dashboards');
const DS_UID = '${DS_PROMETHEUS}';

let upstream: CountingUpstream;
let gw: RunningGateway;
let broken: RunningGateway;
let shedding: RunningGateway;
let dead: RefusingPort[] = [];
let scraped: Map<string, Set<string>>;
let text: string;

before(async () => {
  upstream = await startCountingUpstream((req, res) => {
    res.statusCode = req.url?.includes('missing') ? 404 : 200;
    res.setHeader('content-type', 'application/json');
    res.setHeader('cache-control', req.url?.includes('cached') ? 'public, max-age=60' : 'no-store');
    res.end('{}');
  });
  const routes = routesFile(`
routes:
  - id: v2-meta
    path: /api/v2/meta
    methods: [GET]
    target: module:meta
  - id: v2-me
    path: /api/v2/me
    target: module:auth
    auth: required
  - id: v2-chat
    path: /api/v2/chat
    methods: [POST]
    target: module:chat
    auth: required
  - id: limited
    path: /api/v1/limited/*
    target: legacy
    rate_limit: 1/60s
  - id: v1
    path: /api/v1/*
    target: legacy
  - id: mirrored
    path: /api/v1/mirrored/*
    target: ${upstream.url}
    fallback: true
    shadow: { to: legacy, sample: 1 }
  - id: rolling
    path: /api/v1/rolling/*
    target: ${upstream.url}
    rollout:
      steps: [50, 100]
`);
  gw = await startGateway({
    LEGACY_URL: upstream.url,
    ROUTES_FILE: routes,
    RATE_LIMIT: 'off',
    JWT_SECRET: TEST_JWT_SECRET,
    LLM_LOCAL_TOKEN_DELAY_MS: '1',
  });
  // A chat turn (local provider): the chat series.
  await send(`${gw.url}/api/v2/chat`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${tokens.valid()}`,
      'content-type': 'application/json',
      accept: 'application/json',
    },
    body: JSON.stringify({ message: 'hello' }),
  });
  // Migration controls: a breaker gauge from boot, a shadow comparison shortly after the answer (its series start
  // at 0 at boot, so wait for a count).
  await send(`${gw.url}/api/v1/mirrored/a`);
  await waitFor(
    async () =>
      /^gateway_shadow_total\{route="mirrored",[^}]*\} [1-9]/m.test((await send(`${gw.url}/metrics`)).body.toString()),
    5_000,
    { what: 'a counted shadow comparison on route mirrored' },
  );
  await send(`${gw.url}/api/v1/items`); // proxied 200
  await send(`${gw.url}/api/v1/missing`); // proxied 404
  await send(`${gw.url}/api/v1/cached`); // cache MISS
  await send(`${gw.url}/api/v1/cached`); // cache HIT
  await send(`${gw.url}/api/v1/limited/a`);
  await send(`${gw.url}/api/v1/limited/a`); // 429, gateway_rate_limited_total
  await send(`${gw.url}/api/v2/me`); // 401 without a token, gateway_auth_total
  await send(`${gw.url}/api/v2/meta`); // a v2 module answer
  await send(`${gw.url}/health/ready`); // a gateway-own path
  await send(`${gw.url}/csp-report`, {
    method: 'POST',
    headers: { 'content-type': 'application/csp-report' },
    body: JSON.stringify({ 'csp-report': { 'effective-directive': 'script-src-elem' } }),
  }); // gateway_csp_reports_total
  // Failure series start at 0 at boot (metrics-present-on-fresh-instance checks that); a second gateway whose legacy
  // and Redis are unreachable gives gateway_upstream_errors_total and gateway_store_errors_total real samples too.
  // Refused (a connect error is what those series count), and held for the whole file: a freePort() number could
  // be taken by a parallel test's server meanwhile.
  dead = await Promise.all([refusingPort(), refusingPort()]);
  broken = await startGateway({
    LEGACY_URL: dead[0].url,
    REDIS_URL: `redis://127.0.0.1:${dead[1].port}`,
    RATE_LIMIT: 'off',
  });
  await send(`${broken.url}/api/v1/items`);
  // And one that sheds (a heap limit every heap is past): gateway_shed_total.
  shedding = await startGateway({ LEGACY_URL: upstream.url, RATE_LIMIT: 'off', SHED_HEAP_RATIO: '0.000001' });
  await waitFor(async () => (await send(`${shedding.url}/api/v1/items`)).status === 503, 5_000, {
    what: 'a 503 from the shedding gateway',
  });
  text = (
    await Promise.all([gw, broken, shedding].map(async (g) => (await send(`${g.url}/metrics`)).body.toString()))
  ).join('');
  scraped = sampleLabels(text);
});
after(async () => {
  await gw?.stop();
  await broken?.stop();
  await shedding?.stop();
  await upstream?.close();
  await Promise.all(dead.map((d) => d.release()));
});

// Labels Prometheus adds to every series it scrapes (target labels): never in /metrics itself.
const TARGET_LABELS = new Set(['job', 'instance']);
// Series Prometheus makes itself for every target (the "Instances up" panel); the gateway cannot export them.
const PROMETHEUS_MADE: Record<string, string[]> = { up: [] };

/** Problems with one expression against the scrape: unknown sample names, labels no selected metric carries. */
function problems(where: string, expr: string): string[] {
  const { selectors, grouping } = promqlNames(expr);
  if (selectors.length === 0) return [`${where}: no metric found in ${expr}`];
  const out: string[] = [];
  const labelsOf = (metric: string) =>
    new Set([...(scraped.get(metric) ?? PROMETHEUS_MADE[metric] ?? []), ...TARGET_LABELS]);
  for (const { metric, labels } of selectors) {
    if (!scraped.has(metric) && !(metric in PROMETHEUS_MADE)) {
      out.push(`${where}: ${metric} is not a sample name in the gateway's /metrics`);
      continue;
    }
    for (const l of labels) if (!labelsOf(metric).has(l)) out.push(`${where}: ${metric} has no label ${l}`);
  }
  for (const l of grouping) {
    for (const { metric } of selectors)
      if (!labelsOf(metric).has(l)) out.push(`${where}: grouping label ${l} is not on ${metric}`);
  }
  return out;
}

// --- the dashboards ----------------------------------------------------------------------------------------------

interface Target {
  expr?: string;
  refId?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id?: number;
  type?: string;
  title?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query?: unknown;
  definition?: string;
  datasource?: { uid?: string };
  current?: { value?: unknown };
}
interface Dashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  panels?: Panel[];
  templating?: { list?: Variable[] };
  annotations?: { list?: { name: string; expr?: string; datasource?: { uid?: string } }[] };
}

const files = readdirSync(DASHBOARDS)
  .filter((f) => f.endsWith('.json'))
  .sort();
const dashboards: [string, Dashboard][] = files.map((f) => [f, JSON.parse(readFileSync(join(DASHBOARDS, f), 'utf8'))]);
const allPanels = (d: Dashboard): Panel[] => (d.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
const queryPanels = (d: Dashboard) => allPanels(d).filter((p) => p.type !== 'row');
/** Every PromQL expression of a dashboard, named for messages: panel targets, annotations, query variables. */
function expressions(f: string, d: Dashboard): [string, string][] {
  const out: [string, string][] = [];
  for (const p of queryPanels(d))
    for (const t of p.targets ?? []) out.push([`${f} "${p.title}" ${t.refId}`, t.expr ?? '']);
  for (const a of d.annotations?.list ?? []) if (a.expr) out.push([`${f} annotation "${a.name}"`, a.expr]);
  for (const v of d.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : ((v.query as { query?: string } | undefined)?.query ?? '');
    // label_values(metric, label) is Grafana's, not PromQL: check it as a selector grouped by the label.
    const lv = /^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$/.exec(q.trim());
    out.push([`${f} variable $${v.name}`, lv ? `sum by (${lv[2]}) (${lv[1]})` : q]);
  }
  return out;
}

test('the two dashboards are there', () => {
  assert.deepEqual(files, ['figway-migration.json', 'figway-traffic.json']);
});

test('each dashboard has a title, a unique uid, a schemaVersion and panels that fit the grid', () => {
  const uids = new Set<string>();
  for (const [f, d] of dashboards) {
    assert.ok(typeof d.title === 'string' && d.title.length > 0, `${f}: title`);
    assert.match(d.uid ?? '', /^[a-zA-Z0-9_-]{1,40}$/, `${f}: uid (Grafana allows 40 characters)`);
    assert.ok(!uids.has(d.uid!), `${f}: uid ${d.uid} used twice`);
    uids.add(d.uid!);
    assert.ok(Number.isInteger(d.schemaVersion) && d.schemaVersion! >= 36, `${f}: schemaVersion`);
    const panels = allPanels(d);
    assert.ok(queryPanels(d).length > 0, `${f}: no panels`);
    const ids = panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, `${f}: panel ids must be unique`);
    for (const p of panels) {
      assert.ok(
        p.title && p.type && Number.isInteger(p.id),
        `${f}: panel ${JSON.stringify(p.title)} needs id, type and title`,
      );
      const g = p.gridPos;
      assert.ok(g && g.w > 0 && g.h > 0 && g.x >= 0 && g.x + g.w <= 24, `${f} "${p.title}": gridPos within 24 columns`);
    }
  }
});

test('every panel and target uses the ${DS_PROMETHEUS} datasource variable, which defaults to the provisioned uid', () => {
  const provisioned = parse(readFileSync(join(ROOT, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as {
    datasources: { uid: string; type: string }[];
  };
  const prom = provisioned.datasources.find((d) => d.type === 'prometheus');
  assert.ok(prom?.uid, 'the provisioned Prometheus datasource needs a fixed uid');
  for (const [f, d] of dashboards) {
    const ds = d.templating?.list?.find((v) => v.name === 'DS_PROMETHEUS');
    assert.equal(ds?.type, 'datasource', `${f}: a DS_PROMETHEUS datasource variable`);
    assert.equal(ds?.query, 'prometheus', `${f}: DS_PROMETHEUS lists Prometheus datasources`);
    assert.equal(ds?.current?.value, prom.uid, `${f}: DS_PROMETHEUS defaults to the provisioned datasource`);
    for (const p of queryPanels(d)) {
      assert.deepEqual(p.datasource, { type: 'prometheus', uid: DS_UID }, `${f} "${p.title}": datasource`);
      assert.ok((p.targets ?? []).length > 0, `${f} "${p.title}": no targets`);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      assert.equal(new Set(refIds).size, refIds.length, `${f} "${p.title}": refIds must be unique`);
      for (const t of p.targets ?? []) {
        assert.deepEqual(t.datasource, { type: 'prometheus', uid: DS_UID }, `${f} "${p.title}" ${t.refId}: datasource`);
        assert.ok(t.expr && t.expr.trim().length > 0, `${f} "${p.title}" ${t.refId}: expr`);
      }
    }
    for (const v of d.templating?.list ?? [])
      if (v.type === 'query') assert.equal(v.datasource?.uid, DS_UID, `${f} $${v.name}: datasource`);
    for (const a of d.annotations?.list ?? [])
      if (a.expr) assert.equal(a.datasource?.uid, DS_UID, `${f} annotation ${a.name}: datasource`);
  }
});

test('each dashboard has a route variable from label_values(gateway_requests_total, route)', () => {
  for (const [f, d] of dashboards) {
    const v = d.templating?.list?.find((x) => x.name === 'route');
    const q = typeof v?.query === 'string' ? v.query : (v?.query as { query?: string } | undefined)?.query;
    assert.equal(v?.type, 'query', `${f}: $route`);
    assert.equal(q, 'label_values(gateway_requests_total, route)', `${f}: $route query`);
  }
});

test('every query only uses metric names and labels present in a live scrape after traffic', () => {
  const found = dashboards.flatMap(([f, d]) => expressions(f, d).flatMap(([where, expr]) => problems(where, expr)));
  assert.deepEqual(found, [], `the gateways' /metrics were:\n${text}`);
});

test(
  'every query is valid PromQL (promtool)',
  {
    skip:
      spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status !== 0 &&
      'promtool not found: apt-get install prometheus',
  },
  () => {
    // Grafana substitutes its variables before Prometheus sees a query; do the same with harmless values, then let
    // promtool parse every expression as a recording rule.
    const rules = dashboards
      .flatMap(([f, d]) => expressions(f, d))
      .map(([where, expr], n) => ({
        record: `figway_dashboard_check_${n}`,
        expr: expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '1m').replace(/\$\{?route\}?/g, '.*'),
        labels: { where },
      }));
    const file = join(mkdtempSync(join(tmpdir(), 'figway-dash-')), 'dashboards.rules.json');
    // JSON is YAML: no quoting to get wrong.
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboards', rules }] }));
    try {
      execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      assert.fail(`a dashboard query does not parse:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
  },
);

test('the dashboard provider reads the folder docker-compose mounts ./grafana/dashboards on', () => {
  const doc = parse(readFileSync(join(ROOT, 'grafana/provisioning/dashboards/figway.yml'), 'utf8')) as {
    providers: { type: string; options: { path: string } }[];
  };
  assert.equal(doc.providers[0]?.type, 'file');
  assert.equal(doc.providers[0]?.options.path, '/var/lib/grafana/dashboards');
});
