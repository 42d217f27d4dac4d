import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { headingAnchors } from '../support/markdown';
import { ROOT } from '../support/paths';
import { refusingPort, type RefusingPort } from '../support/ports';
import { promqlNames, sampleLabels } from '../support/promql';

// The Prometheus side of monitoring: prometheus.yml and the alert rules must load, the rules' unit tests
// (prometheus/alerts.test.yml) must pass, and every metric and label an alert selects must be one a real gateway
// exports, so that renaming a metric in src/ cannot silently leave an alert watching nothing.

const MISSING = 'promtool not found: apt-get install prometheus';
const hasPromtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;

/** Runs promtool from the repository root (paths in the files are relative to it) and returns its output. */
function promtool(...args: string[]): string {
  try {
    return execFileSync('promtool', args, {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    assert.fail(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
}

test('promtool is installed (CI installs it via .ci/run)', () => {
  assert.ok(hasPromtool, MISSING);
});

test('promtool check config prometheus.yml', { skip: !hasPromtool && MISSING }, () => {
  assert.match(promtool('check', 'config', 'prometheus.yml'), /SUCCESS/);
});

test('promtool check rules prometheus/alerts.yml', { skip: !hasPromtool && MISSING }, () => {
  assert.match(promtool('check', 'rules', 'prometheus/alerts.yml'), /SUCCESS: \d+ rules found/);
});

test('promtool test rules prometheus/alerts.test.yml', { skip: !hasPromtool && MISSING }, () => {
  assert.match(promtool('test', 'rules', 'prometheus/alerts.test.yml'), /SUCCESS/);
});

interface Rule {
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules: Rule[] = (
  parse(readFileSync(join(ROOT, 'prometheus/alerts.yml'), 'utf8')) as { groups: { rules: Rule[] }[] }
).groups.flatMap((g) => g.rules);

test('every alert is named, has a severity and the summary/description/runbook annotations', () => {
  assert.ok(rules.length > 0);
  for (const r of rules) {
    assert.ok(r.alert, `a rule without an alert name: ${r.expr}`);
    assert.match(r.labels?.severity ?? '', /^(critical|warning|info)$/, `${r.alert}: severity`);
    for (const a of ['summary', 'description', 'runbook_url'])
      assert.ok(r.annotations?.[a], `${r.alert}: annotation ${a}`);
    const [file, anchor] = r.annotations!.runbook_url.split('#');
    assert.equal(file, 'docs/operations.md', `${r.alert}: runbook_url names the runbook's file`);
    assert.ok(headingAnchors(readFileSync(join(ROOT, file), 'utf8')).has(anchor), `${r.alert}: no heading #${anchor}`);
    assert.equal(anchor, 'runbook', `${r.alert}: runbook_url`);
  }
});

test('alerts.test.yml has a firing and a silent case for every alert', () => {
  interface Case {
    alertname: string;
    exp_alerts?: unknown[];
  }
  const doc = parse(readFileSync(join(ROOT, 'prometheus/alerts.test.yml'), 'utf8')) as {
    tests: { alert_rule_test?: Case[] }[];
  };
  const cases = doc.tests.flatMap((t) => t.alert_rule_test ?? []);
  for (const r of rules) {
    const mine = cases.filter((c) => c.alertname === r.alert);
    assert.ok(
      mine.some((c) => (c.exp_alerts ?? []).length > 0),
      `${r.alert}: no case where it fires`,
    );
    assert.ok(
      mine.some((c) => (c.exp_alerts ?? []).length === 0),
      `${r.alert}: no case where it must stay silent`,
    );
  }
});

// --- metric names and labels against a live gateway -------------------------------------------------------------

// Labels Prometheus adds to every series it scrapes (target labels): never in /metrics itself.
const TARGET_LABELS = new Set(['job', 'instance']);
// Series Prometheus makes itself for every target; the gateway cannot export them.
const PROMETHEUS_MADE: Record<string, string[]> = { up: [] };

let gw: RunningGateway;
let dead: RefusingPort[] = [];
let scraped: Map<string, Set<string>>;
let text: string;

before(async () => {
  // A gateway whose legacy and Redis are both unreachable: in a few requests it produces the failure series the
  // alerts watch (upstream errors, store errors, readiness 503, rate-limit refusals, auth refusals).
  // Refused, and held for the whole file: a freePort() number could be taken by a parallel test's server.
  dead = await Promise.all([refusingPort(), refusingPort(), refusingPort()]);
  const [deadNewSide, deadLegacy, deadRedis] = dead;
  const routes = routesFile(`
routes:
  - id: new-side
    path: /api/v1/new/*
    target: ${deadNewSide.url}
    fallback: true
    rollout:
      steps: [25, 100]
  - id: limited
    path: /api/v1/limited/*
    target: legacy
    rate_limit: 1/60s
  - id: v2-me
    path: /api/v2/me
    target: module:auth
    auth: required
  - id: v1
    path: /api/v1/*
    target: legacy
`);
  gw = await startGateway({
    LEGACY_URL: deadLegacy.url,
    REDIS_URL: `redis://127.0.0.1:${deadRedis.port}`,
    ROUTES_FILE: routes,
    RATE_LIMIT: 'off',
  });
  await send(`${gw.url}/api/v1/items`);
  await send(`${gw.url}/api/v1/limited/a`);
  await send(`${gw.url}/api/v1/limited/a`);
  await send(`${gw.url}/api/v2/me`);
  await send(`${gw.url}/health/ready`);
  text = (await send(`${gw.url}/metrics`)).body.toString();
  scraped = sampleLabels(text);
});
after(async () => {
  await gw?.stop();
  await Promise.all(dead.map((d) => d.release()));
});

/** Problems with one expression against the scrape: unknown sample names, labels no selected metric carries. */
function problems(where: string, expr: string): string[] {
  const { selectors, grouping } = promqlNames(expr);
  if (selectors.length === 0) return [`${where}: no metric found in ${expr}`];
  const out: string[] = [];
  const labelsOf = (metric: string) =>
    new Set([...(scraped.get(metric) ?? PROMETHEUS_MADE[metric] ?? []), ...TARGET_LABELS]);
  for (const { metric, labels } of selectors) {
    if (!scraped.has(metric) && !(metric in PROMETHEUS_MADE)) {
      out.push(`${where}: ${metric} is not exported by the gateway`);
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

test('every metric and label the alerts select is one a live gateway exports', () => {
  const found = rules.flatMap((r) => problems(r.alert ?? r.expr, r.expr));
  assert.deepEqual(found, [], `the gateway's /metrics was:\n${text}`);
});

test('the label values the alerts rely on are the ones the gateway uses', () => {
  const lines = text.split('\n');
  // GatewayNotReady: a /health/ready refusal is counted as route="gateway", target="gateway", status="503".
  assert.ok(
    lines.some(
      (l) =>
        l.startsWith('gateway_requests_total{') &&
        l.includes('route="gateway"') &&
        l.includes('target="gateway"') &&
        l.includes('status="503"'),
    ),
    'readiness 503 not counted under route="gateway"',
  );
  // GatewayRolloutRolledBack watches this state by name, for every route with a rollout.
  assert.ok(
    lines.some((l) => l.startsWith('gateway_rollout_state{route="new-side",state="rolled_back"}')),
    'gateway_rollout_state rolled_back missing',
  );
  // GatewayRolledBackToLegacy watches this flag by name.
  assert.ok(
    lines.some((l) => l.startsWith('gateway_flag{name="route_all_to_legacy"}')),
    'gateway_flag route_all_to_legacy missing',
  );
  // GatewayHighErrorRate's status=~"5.." needs plain numeric status codes.
  assert.ok(
    lines.some((l) => l.startsWith('gateway_requests_total{') && l.includes('status="502"')),
    'no status="502" after an unreachable legacy',
  );
});

test('the PromQL scanner finds what it should (guards the checks above)', () => {
  const r = promqlNames(
    'histogram_quantile(0.95, sum by (job, le) (rate(a_bucket{target!="gateway", x=~"a,}b"}[2m]))) / on(job) group_left b or vector(0)',
  );
  assert.deepEqual(r.selectors, [
    {
      metric: 'a_bucket',
      labels: ['target', 'x'],
      matchers: [
        { label: 'target', op: '!=', value: 'gateway' },
        { label: 'x', op: '=~', value: 'a,}b' },
      ],
    },
    { metric: 'b', labels: [], matchers: [] },
  ]);
  assert.deepEqual(r.grouping, ['job', 'le', 'job']);
});
