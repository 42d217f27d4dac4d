import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCountingUpstream, type CountingUpstream } from '../support/counting-upstream';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { routesFile, startGateway, type RunningGateway } from '../support/gateway';
import { send } from '../support/http';
import { waitFor } from '../support/migration';
import { ROOT } from '../support/paths';
import { matches, monitoringQueries, parseSamples, promqlNames } from '../support/promql';
import { startRedis, type RedisServer } from '../support/redis';
import { TEST_JWT_SECRET } from '../support/tokens';

// Prometheus instrumentation guide, "Avoid missing metrics": a series that appears only with its first event
// leaves panels at "No data" and rate() blind to that event. A fresh gateway (the shipped routes.yaml, Redis, the
// chat module) is scraped before anything else reaches it: every series a dashboard or alert rule selects must
// already be there, counters and histograms at 0. The list comes from grafana/ and prometheus/ themselves, so a
// panel or alert added on a series that only appears later fails here.

/** Series Prometheus makes itself for each target. */
const PROMETHEUS_MADE = new Set(['up']);
/** Labels Prometheus adds at scrape time (target labels): never in /metrics. */
const TARGET_LABELS = new Set(['job', 'instance']);
/**
 * Per-request series: their method and status labels are open sets, so no label set is known before a request.
 * They appear with the first request answered (a readiness probe, a scrape on the public port).
 */
const PER_REQUEST = new Set([
  'gateway_requests_total',
  'gateway_request_duration_seconds_bucket',
  'gateway_time_to_first_byte_seconds_bucket',
]);

let redis: RedisServer;
let legacy: CountingUpstream;
let gw: RunningGateway;
let first: string;

const scrape = async () => parseSamples((await send(`${gw.url}/metrics`)).body.toString());
const dependencyUp = async (dependency: string) =>
  (await scrape()).find((s) => s.name === 'gateway_dependency_up' && s.labels.dependency === dependency)?.value;

before(async () => {
  [redis, legacy] = await Promise.all([startRedis(), startCountingUpstream()]);
  // The shipped routes plus one with `rollout:` (the shipped file has none), whose autopilot series the migration
  // dashboard and GatewayRolloutRolledBack select.
  const routes = routesFile(
    `${readFileSync(join(ROOT, 'config/routes.yaml'), 'utf8')}
  - id: rollout-example
    path: /api/v1/rollout-example/*
    target: ${legacy.url}
    rollout:
      steps: [50, 100]
`,
  );
  gw = await startGateway({
    REDIS_URL: redis.url,
    LEGACY_URL: legacy.url,
    JWT_SECRET: TEST_JWT_SECRET,
    ROUTES_FILE: routes,
  });
  first = (await send(`${gw.url}/metrics`)).body.toString();
});
after(async () => {
  await gw?.stop();
  await redis?.stop();
  await legacy?.close();
});

test('before any request, every series the dashboards and alert rules select exists, counters and histograms at 0', () => {
  const samples = parseSamples(first);
  const queries = monitoringQueries(ROOT);
  assert.ok(queries.length > 40, 'the dashboards and rules were read');
  const missing: string[] = [];
  const checked = new Set<string>();
  for (const { where, expr } of queries) {
    for (const { metric, matchers } of promqlNames(expr).selectors) {
      if (PROMETHEUS_MADE.has(metric) || PER_REQUEST.has(metric)) continue;
      // Grafana variables ($route) match whatever the user picks; target labels are not in /metrics.
      const fixed = matchers.filter((m) => !TARGET_LABELS.has(m.label) && !m.value.includes('$'));
      if (!samples.some((s) => s.name === metric && fixed.every((m) => matches(s.labels, m)))) {
        missing.push(`${where}: ${metric}{${fixed.map((m) => `${m.label}${m.op}"${m.value}"`).join(',')}}`);
      }
      checked.add(metric);
    }
  }
  assert.deepEqual(missing, [], `series absent on a fresh instance; /metrics was:\n${first}`);
  // Those the defect named, so the derived list cannot quietly lose them.
  for (const name of [
    'gateway_upstream_errors_total',
    'gateway_chat_cache_total',
    'gateway_chat_tokens_total',
    'gateway_chat_time_to_first_token_seconds_bucket',
    'gateway_csp_reports_total',
    'gateway_dependency_up',
    'gateway_shadow_total',
    'gateway_shed_total',
    'gateway_store_errors_total',
  ]) {
    assert.ok(checked.has(name), `${name} is no longer selected by any dashboard or rule`);
  }
  const counted = samples.filter((s) => checked.has(s.name) && /^gateway_.*_(total|bucket|sum|count)$/.test(s.name));
  assert.deepEqual(
    counted.filter((s) => s.value !== 0),
    [],
    'nothing has happened yet',
  );
  // The label sets known at boot: closed sets, and the routes and upstreams of the route table.
  const has = (name: string, labels: Record<string, string>) =>
    samples.some((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(has('gateway_upstream_errors_total', { upstream: legacy.url, kind: 'connect' }));
  assert.ok(has('gateway_shadow_total', { route: 'v2-chat', result: 'diff' }));
  assert.ok(has('gateway_chat_time_to_first_token_seconds_bucket', { provider: 'local', le: '+Inf' }));
  assert.ok(has('gateway_store_errors_total', { user: 'rate_limit' }));
  assert.ok(has('gateway_shed_total', { reason: 'max_connections' }));
  assert.ok(has('gateway_rate_limited_total', { route: 'v2-chat' }));
});

test('gateway_dependency_up is checked at each scrape: up once reachable, 0 when Redis dies, with no readiness probe', async () => {
  await waitFor(async () => (await dependencyUp('store')) === 1 && (await dependencyUp('legacy')) === 1, 10_000, {
    stepMs: 100,
  });
  await redis.stop();
  await waitFor(async () => (await dependencyUp('store')) === 0, 10_000, { stepMs: 100 });
  assert.equal(await dependencyUp('legacy'), 1);
  // /health/ready would have set it to 1 while both were up: no readiness check ran.
  assert.equal((await scrape()).find((s) => s.name === 'gateway_ready')?.value, 0);
});
