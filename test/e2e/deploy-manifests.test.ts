/*
 * The deployment files (Dockerfile, .dockerignore, docker-compose.yml, deploy/, k8s/) agree with the gateway and
 * with each other. No Docker engine or cluster is needed: the files are parsed and checked against the sources
 * of truth they depend on, the env schema, loadConfig, package.json and config/routes.yaml, so a renamed
 * variable, a moved entry point or a drifted route table fails here rather than at deploy time.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { loadConfig, type GatewayConfig } from '../../src/config';
import { envSchema } from '../../src/config/env.schema';
import { routesFileSchema } from '../../src/config/routes.schema';
import { routesFile } from '../support/gateway';
import { ROOT } from '../support/paths';

// Parsed YAML is checked by the assertions below; typing it would restate the Kubernetes API.
type Y = any;

const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');

// ---------------------------------------------------------------------------------------------------------------
// Kubernetes manifests

interface Manifest {
  file: string;
  obj: Y;
}

/** Files in k8s/ that kustomization.yaml leaves out on purpose (each says why, there and in the file). */
const NOT_IN_KUSTOMIZATION = ['secret.yaml', 'redis.yaml', 'keda-scaledobject.yaml'];
const NAMESPACED = new Set([
  'ConfigMap',
  'Secret',
  'Deployment',
  'StatefulSet',
  'Service',
  'Ingress',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'ScaledObject',
  'NetworkPolicy',
]);

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir)).sort()) {
    const rel = posix.join(dir, name);
    if (statSync(join(ROOT, rel)).isDirectory()) out.push(...yamlFiles(rel));
    else if (/\.ya?ml$/.test(name)) out.push(rel);
  }
  return out;
}

function parseDocs(rel: string): Y[] {
  const docs = parseAllDocuments(read(rel));
  assert.ok(Array.isArray(docs), `${rel}: not a YAML stream`);
  const out: Y[] = [];
  docs.forEach((d, i) => {
    assert.deepEqual(
      d.errors.map((e) => e.message),
      [],
      `${rel}, document ${i + 1}: YAML errors`,
    );
    const v = d.toJS();
    if (v !== null && v !== undefined) out.push(v);
  });
  return out;
}

const k8sFiles = yamlFiles('k8s').filter((f) => posix.basename(f) !== 'kustomization.yaml');
const manifests: Manifest[] = k8sFiles.flatMap((file) => parseDocs(file).map((obj) => ({ file, obj })));
const kustomization: Y = parseYaml(read('k8s/kustomization.yaml'));

function one(kind: string, name?: string): Y {
  const found = manifests.filter((m) => m.obj.kind === kind && (name === undefined || m.obj.metadata?.name === name));
  assert.equal(
    found.length,
    1,
    `expected exactly one ${kind}${name ? ` named ${name}` : ''} in k8s/, found ${found.length}`,
  );
  return found[0].obj;
}

const deployment = one('Deployment', 'figway');
const podSpec: Y = deployment.spec.template.spec;
const podLabels: Record<string, string> = deployment.spec.template.metadata.labels;
const gateway: Y = podSpec.containers[0];
const service = one('Service', 'figway');
const flags = one('ConfigMap', 'figway-config');
const routesMap = one('ConfigMap', 'figway-routes');
const secret = one('Secret', 'figway-secrets');

/** A selector (matchLabels, or a Service's plain map) selects a pod when every pair is among its labels. */
function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  assert.ok(selector && Object.keys(selector).length > 0, 'an empty selector selects everything');
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** A probe's or Service's port: a number, or the name of one of the gateway container's ports. */
function containerPort(port: number | string): number {
  if (typeof port === 'number') return port;
  const named = (gateway.ports ?? []).find((p: Y) => p.name === port);
  assert.ok(named, `no container port named ${port}`);
  return named.containerPort;
}

function secretKeys(s: Y): string[] {
  return [...Object.keys(s.data ?? {}), ...Object.keys(s.stringData ?? {})];
}

/** Values the test stands in for secrets, valid for the schema; every Secret key needs one here. */
const TEST_SECRETS: Record<string, string> = {
  JWT_SECRET: 'test-only-jwt-secret-0123456789abcdefghij',
  DATA_ENCRYPTION_KEY: `test:${Buffer.alloc(32, 7).toString('base64')}`,
  ADMIN_TOKEN: 'test-only-admin-token',
  LEGACY_SECRET_KEY: 'test-only-legacy-secret',
};

/** The environment a pod gets: the ConfigMap, then the Secret (test values), then explicit env, as Kubernetes orders them. */
function podEnv(secrets: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of gateway.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, one('ConfigMap', from.configMapRef.name).data);
    if (from.secretRef) Object.assign(env, secrets);
  }
  for (const e of gateway.env ?? []) if (typeof e.value === 'string') env[e.name] = e.value;
  return env;
}

/** ROUTES_FILE points inside the pod; for loadConfig here it points at the routes ConfigMap's own content. */
function withRoutesFromConfigMap(env: Record<string, string>): Record<string, string> {
  return { ...env, ROUTES_FILE: routesFile(routesMap.data['routes.yaml']) };
}

/** What the gateway makes of a pod's environment; loaded on first use so a config error fails the tests, not the file. */
let podConfigCache: GatewayConfig | undefined;
function podConfig(): GatewayConfig {
  return (podConfigCache ??= loadConfig(withRoutesFromConfigMap(podEnv(TEST_SECRETS)), ROOT));
}

// ---------------------------------------------------------------------------------------------------------------
// Dockerfiles

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Enough of the Dockerfile grammar for these checks: comments, line continuations, global ARGs, stages. */
function parseDockerfile(rel: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of read(rel).split('\n')) {
    if (/^\s*#/.test(raw)) continue;
    const line = raw.replace(/\s+$/, '');
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    if (full) logical.push(full);
  }
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const m = /^(\S+)\s*(.*)$/.exec(line)!;
    const op = m[1].toUpperCase();
    const args = m[2];
    if (op === 'FROM') {
      const [image, as, name] = args.split(/\s+/).filter((t) => !t.startsWith('--'));
      const resolved = image.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => globalArgs[a ?? b] ?? '');
      // `FROM deps AS build` continues an earlier stage: report the image that stage is based on.
      const from = stages.find((s) => s.name === resolved)?.from ?? resolved;
      stages.push({ from, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (stages.length === 0) {
      if (op === 'ARG') {
        const [k, v] = args.split('=');
        globalArgs[k] = v ?? '';
      }
    } else {
      stages[stages.length - 1].instructions.push({ op, args });
    }
  }
  return stages;
}

function ops(stage: Stage, op: string): string[] {
  return stage.instructions.filter((i) => i.op === op).map((i) => i.args);
}

/** Names set by `ENV A=1 B="2 3"` or the old `ENV A 1`. */
function envNames(args: string): string[] {
  if (!/^[^\s=]+=/.test(args)) return [args.split(/\s+/)[0]];
  return (args.match(/[^\s=]+=("[^"]*"|'[^']*'|\S*)/g) ?? []).map((kv) => kv.split('=')[0]);
}

/** Exec-form JSON (`CMD ["node", "x"]`), the form signals reach the process with. */
function execForm(args: string, what: string): string[] {
  const clean = args.replace(/^(--\S+\s+)*(CMD\s+)?/, '');
  assert.match(clean, /^\[/, `${what} must use the exec (JSON) form so the process is PID 1 and gets SIGTERM`);
  return JSON.parse(clean) as string[];
}

function isRootUser(user: string): boolean {
  const u = user.split(':')[0];
  return u === 'root' || u === '0';
}

const gatewayImage = parseDockerfile('Dockerfile');
const runtime = gatewayImage[gatewayImage.length - 1];

/** .dockerignore semantics: last matching rule wins, `!` re-includes, a rule on a folder covers what is in it. */
function dockerignore(rel: string): (path: string) => boolean {
  const rules = read(rel)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, '')).replace(/\/+$/, '');
      let re = '';
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i];
        if (pattern.startsWith('**/', i)) {
          re += '(?:.*/)?';
          i += 2;
        } else if (pattern.startsWith('**', i)) {
          re += '.*';
          i += 1;
        } else if (c === '*') re += '[^/]*';
        else if (c === '?') re += '[^/]';
        else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }
      return { negate, re: new RegExp(`^${re}$`) };
    });
  return (path: string) => {
    const parts = path.split('/');
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const r of rules) if (candidates.some((c) => r.re.test(c))) excluded = !r.negate;
    return excluded;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// docker-compose.yml

const compose: Y = parseYaml(read('docker-compose.yml'));

/** Compose interpolation as it happens with nothing set in the shell or .env: the `${X:-default}` defaults. */
function interpolate(v: unknown): string {
  return (
    String(v)
      .replace(/\$\$/g, '\u0000')
      .replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_, _name, dflt) => dflt ?? '')
      // eslint-disable-next-line no-control-regex -- NUL stands in for an escaped $$ (it cannot occur in YAML text)
      .replace(/\u0000/g, '$')
  );
}

function composeEnv(svc: Y): Record<string, string> {
  const env = svc.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((kv: string) => [kv.split('=')[0], interpolate(kv.split('=').slice(1).join('='))]),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(v)]));
}

function composeMounts(svc: Y): { source: string; target: string }[] {
  return (svc.volumes ?? []).map((v: Y) => {
    if (typeof v === 'string') {
      const [source, target] = v.split(':');
      return { source, target };
    }
    return { source: v.source, target: v.target };
  });
}

/** `30s`, `1m30s`, `1500ms` -> seconds. */
function durationS(v: string): number {
  let total = 0;
  for (const [, n, unit] of String(v).matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(n) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit as 'ms' | 's' | 'm' | 'h'];
  }
  return total;
}

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

// ---------------------------------------------------------------------------------------------------------------
// Environment names

const KNOWN_ENV = new Set(Object.keys(envSchema.shape));
/** NODE_ENV is for Node and npm; OTEL_* are the standard OpenTelemetry variables the SDK reads itself. */
const envNameAllowed = (name: string) => KNOWN_ENV.has(name) || name === 'NODE_ENV' || name.startsWith('OTEL_');

function assertKnownNames(where: string, names: string[]) {
  assert.ok(names.length > 0, `${where}: no variables found; is the parser looking in the right place?`);
  const unknown = names.filter((n) => !envNameAllowed(n));
  assert.deepEqual(unknown, [], `${where} sets variables the gateway does not know (src/config/env.schema.ts)`);
}

// ===============================================================================================================

test('every k8s/ manifest parses and has apiVersion, kind, a valid name and the one namespace', () => {
  assert.ok(manifests.length >= 8, `only ${manifests.length} objects under k8s/`);
  const ns = one('Namespace').metadata.name;
  const seen = new Set<string>();
  for (const { file, obj } of manifests) {
    const what = `${file} (${obj?.kind} ${obj?.metadata?.name})`;
    assert.equal(typeof obj.apiVersion, 'string', `${what}: apiVersion`);
    assert.equal(typeof obj.kind, 'string', `${what}: kind`);
    assert.match(obj.metadata?.name ?? '', /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, `${what}: metadata.name`);
    if (NAMESPACED.has(obj.kind)) assert.equal(obj.metadata.namespace, ns, `${what}: namespace`);
    const key = `${obj.kind}/${obj.metadata.name}`;
    assert.ok(!seen.has(key), `${what}: defined twice`);
    seen.add(key);
  }
  for (const kind of [
    'Deployment',
    'Service',
    'Ingress',
    'ConfigMap',
    'Secret',
    'HorizontalPodAutoscaler',
    'PodDisruptionBudget',
    'ScaledObject',
    'StatefulSet',
  ]) {
    assert.ok(
      manifests.some((m) => m.obj.kind === kind),
      `no ${kind} under k8s/`,
    );
  }
  // Kubernetes refuses non-string ConfigMap and Secret values (an unquoted true or 8080 in YAML).
  for (const { file, obj } of manifests.filter((m) => m.obj.kind === 'ConfigMap' || m.obj.kind === 'Secret')) {
    for (const [k, v] of Object.entries({ ...obj.data, ...obj.stringData })) {
      assert.equal(typeof v, 'string', `${file}: ${obj.metadata.name}.${k} must be a quoted string`);
    }
  }
});

test('kustomization.yaml lists every manifest except the documented ones, and never two autoscalers', () => {
  const resources: string[] = kustomization.resources;
  for (const r of resources) assert.ok(existsSync(join(ROOT, 'k8s', r)), `kustomization.yaml lists missing ${r}`);
  const top = k8sFiles.filter((f) => posix.dirname(f) === 'k8s').map((f) => posix.basename(f));
  const unlisted = top.filter((f) => !resources.includes(f));
  assert.deepEqual(unlisted.sort(), [...NOT_IN_KUSTOMIZATION].sort(), 'manifests left out of kustomization.yaml');
  const text = read('k8s/kustomization.yaml');
  for (const f of NOT_IN_KUSTOMIZATION)
    assert.ok(text.includes(f), `kustomization.yaml should say why ${f} is left out`);
  assert.ok(
    !(resources.includes('hpa.yaml') && resources.includes('keda-scaledobject.yaml')),
    'an HPA and a ScaledObject would fight',
  );
  assert.equal(kustomization.namespace, one('Namespace').metadata.name);
  assert.ok(
    kustomization.images?.some((i: Y) => i.name === gateway.image.split(':')[0]),
    'kustomization images: does not name the gateway image',
  );
});

test('Deployment: 3 replicas, probes on the gateway port and paths, hardened, started from the ConfigMap and Secret', () => {
  const config = podConfig();
  assert.equal(deployment.spec.replicas, 3);
  assert.ok(selects(deployment.spec.selector.matchLabels, podLabels), 'the selector must match the pod template');
  assert.equal(podSpec.containers.length, 1);

  assert.equal(containerPort('http'), config.port, 'container port "http" is not the PORT the ConfigMap sets');
  const probes = { startupProbe: '/health', livenessProbe: '/health', readinessProbe: '/health/ready' } as const;
  for (const [probe, path] of Object.entries(probes)) {
    const p = gateway[probe];
    assert.ok(p?.httpGet, `${probe} missing or not an httpGet`);
    assert.equal(p.httpGet.path, path, `${probe} path`);
    assert.equal(containerPort(p.httpGet.port), config.port, `${probe} port`);
  }

  const sc = { ...podSpec.securityContext, ...gateway.securityContext };
  assert.equal(sc.runAsNonRoot, true, 'runAsNonRoot');
  if (sc.runAsUser !== undefined) assert.notEqual(sc.runAsUser, 0);
  assert.equal(gateway.securityContext.readOnlyRootFilesystem, true, 'readOnlyRootFilesystem');
  assert.equal(gateway.securityContext.allowPrivilegeEscalation, false, 'allowPrivilegeEscalation');
  assert.ok(gateway.securityContext.capabilities?.drop?.includes('ALL'), 'capabilities.drop ALL');
  assert.equal(sc.seccompProfile?.type, 'RuntimeDefault', 'seccompProfile');
  assert.equal(podSpec.automountServiceAccountToken, false);
  // Service links would add FOO_SERVICE_HOST/FOO_PORT variables that no manifest names.
  assert.equal(podSpec.enableServiceLinks, false);

  const tmp = gateway.volumeMounts.find((m: Y) => m.mountPath === '/tmp');
  assert.ok(tmp, 'a writable /tmp (the root filesystem is read-only)');
  assert.ok(podSpec.volumes.find((v: Y) => v.name === tmp.name)?.emptyDir, '/tmp must be an emptyDir');

  for (const kind of ['requests', 'limits']) {
    for (const r of ['cpu', 'memory']) {
      if (kind === 'limits' && r === 'cpu') continue; // a CPU limit is a choice, not a requirement
      assert.ok(gateway.resources?.[kind]?.[r], `resources.${kind}.${r}`);
    }
  }

  // The environment comes from the ConfigMap and the Secret, both of which exist here.
  const refs = (gateway.envFrom ?? []).map((f: Y) => f.configMapRef?.name ?? f.secretRef?.name);
  assert.deepEqual(
    refs,
    ['figway-config', 'figway-secrets'],
    'envFrom: ConfigMap first, Secret second (the Secret wins)',
  );
  for (const f of gateway.envFrom) assert.equal(f.prefix, undefined, 'an envFrom prefix would rename every variable');

  for (const c of podSpec.topologySpreadConstraints ?? [])
    assert.ok(selects(c.labelSelector.matchLabels, podLabels), 'topology spread selects other pods');
  assert.ok(
    (podSpec.topologySpreadConstraints ?? []).length > 0 || podSpec.affinity?.podAntiAffinity,
    'pods should be spread across nodes',
  );

  const ann = deployment.spec.template.metadata.annotations ?? {};
  assert.equal(ann['prometheus.io/scrape'], 'true');
  // /metrics lives on METRICS_PORT (kept off the Service and the Ingress), which the container declares.
  assert.ok(
    config.metricsPort !== undefined && config.metricsPort !== config.port,
    'the ConfigMap moves /metrics off PORT',
  );
  assert.equal(Number(ann['prometheus.io/port']), config.metricsPort);
  assert.equal(containerPort('metrics'), config.metricsPort, 'container port "metrics" is METRICS_PORT');
  assert.equal(ann['prometheus.io/path'], '/metrics');
  assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0, 'a flag flip must not cost capacity');
});

test('shutdown timing: preStop equals SHUTDOWN_DELAY_MS, and the grace period outlasts preStop + delay + drain', () => {
  const config = podConfig();
  const preStop = gateway.lifecycle?.preStop;
  assert.ok(preStop, 'preStop hook');
  // Either the native `sleep` action or an exec of `sleep N`.
  const cmd: string[] = preStop.exec?.command ?? [];
  const sleepS = preStop.sleep
    ? Number(preStop.sleep.seconds)
    : cmd[0] === 'sleep' && cmd.length === 2
      ? Number(cmd[1])
      : NaN;
  assert.ok(sleepS > 0, `preStop must sleep: ${JSON.stringify(preStop)}`);
  assert.equal(sleepS * 1000, config.shutdown.delayMs, 'preStop sleep and SHUTDOWN_DELAY_MS');
  // The kubelet's countdown starts before preStop; SIGTERM (and the gateway's own delay and grace) only after it.
  const needed = sleepS + (config.shutdown.delayMs + config.shutdown.graceMs) / 1000;
  assert.ok(
    podSpec.terminationGracePeriodSeconds > needed,
    `terminationGracePeriodSeconds ${podSpec.terminationGracePeriodSeconds} <= ${needed}`,
  );
});

test('Service selects the gateway pods only, on the container port', () => {
  assert.ok(selects(service.spec.selector, podLabels), 'Service selector does not match the Deployment pods');
  for (const sts of manifests.filter((m) => m.obj.kind === 'StatefulSet')) {
    assert.ok(
      !selects(service.spec.selector, sts.obj.spec.template.metadata.labels),
      `Service also selects ${sts.obj.metadata.name}`,
    );
  }
  const http = service.spec.ports.find((p: Y) => p.name === 'http');
  assert.ok(http, 'Service port named http');
  assert.equal(containerPort(http.targetPort), podConfig().port);
});

test("Ingress: TLS at the edge, every path to the Service port, streaming not buffered, timeouts past the gateway's", () => {
  const config = podConfig();
  const ingress = one('Ingress');
  assert.ok(ingress.spec.tls?.length > 0 && ingress.spec.tls[0].secretName, 'TLS terminates at the ingress');
  const paths = ingress.spec.rules.flatMap((r: Y) => r.http.paths);
  assert.ok(
    paths.some((p: Y) => p.path === '/' && p.pathType === 'Prefix'),
    'the catch-all / must reach the gateway',
  );
  for (const p of paths) {
    const b = p.backend.service;
    assert.equal(b.name, service.metadata.name, `path ${p.path} goes to another Service`);
    const port = service.spec.ports.find((sp: Y) =>
      b.port.name ? sp.name === b.port.name : sp.port === b.port.number,
    );
    assert.ok(port, `path ${p.path} names a port the Service does not have`);
  }
  const a = ingress.metadata.annotations;
  assert.equal(
    a['nginx.ingress.kubernetes.io/proxy-buffering'],
    'off',
    'SSE and chunked responses must not be buffered',
  );
  assert.equal(a['nginx.ingress.kubernetes.io/proxy-request-buffering'], 'off', 'uploads must stream');
  const readTimeout = Number(a['nginx.ingress.kubernetes.io/proxy-read-timeout']);
  const idle = config.upstream.idleTimeoutMs === 0 ? 3600 : config.upstream.idleTimeoutMs / 1000;
  assert.ok(
    readTimeout >= Math.max(idle, config.upstream.timeoutMs / 1000),
    `proxy-read-timeout ${readTimeout}s would cut streams the gateway keeps`,
  );
  assert.ok(Number(a['nginx.ingress.kubernetes.io/proxy-send-timeout']) >= readTimeout);
});

test('HPA, ScaledObject and PDB all target the gateway Deployment', () => {
  const target = { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name };
  const hpa = one('HorizontalPodAutoscaler');
  assert.equal(hpa.apiVersion, 'autoscaling/v2');
  assert.deepEqual(hpa.spec.scaleTargetRef, target);
  assert.ok(hpa.spec.minReplicas >= deployment.spec.replicas && hpa.spec.maxReplicas > hpa.spec.minReplicas);
  const resources = hpa.spec.metrics.map((m: Y) => m.resource?.name).sort();
  assert.deepEqual(resources, ['cpu', 'memory']);

  const so = one('ScaledObject');
  assert.deepEqual(so.spec.scaleTargetRef, target);
  assert.ok(so.spec.minReplicaCount >= deployment.spec.replicas, 'a gateway must never scale to zero');
  const types = so.spec.triggers.map((t: Y) => t.type);
  assert.ok(types.includes('cpu') && types.includes('prometheus'), `triggers: ${types}`);
  assert.ok(!types.some((t: string) => t.startsWith('redis')), 'the gateway has no Redis queue to scale on');
  const query: string = so.spec.triggers.find((t: Y) => t.type === 'prometheus').metadata.query;
  // Every metric the query names must be one the gateway exports.
  const metricSources = typescriptSources('src').join('\n');
  for (const metric of query.match(/gateway_[a-z_]+/g) ?? []) {
    assert.ok(metricSources.includes(`'${metric}'`), `the ScaledObject queries ${metric}, which src/ does not export`);
  }
  assert.match(query, /gateway_requests_total/);

  const pdb = one('PodDisruptionBudget');
  assert.ok(selects(pdb.spec.selector.matchLabels, podLabels), 'PDB selects no gateway pods');
  const allowsDrain =
    pdb.spec.maxUnavailable >= 1 ||
    (pdb.spec.minAvailable !== undefined && pdb.spec.minAvailable < hpa.spec.minReplicas);
  assert.ok(allowsDrain, 'the PDB must let at least one pod go, or node drains block forever');
});

/** All TypeScript under a folder (metric names are string literals there). */
function typescriptSources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const rel = posix.join(dir, name);
    if (statSync(join(ROOT, rel)).isDirectory()) out.push(...typescriptSources(rel));
    else if (name.endsWith('.ts') && !name.endsWith('.spec.ts')) out.push(read(rel));
  }
  return out;
}

test('every variable name any deployment file sets is one the gateway knows', () => {
  assertKnownNames('figway-config ConfigMap', Object.keys(flags.data));
  assertKnownNames('figway-secrets Secret', secretKeys(secret));
  const explicit = (gateway.env ?? []).map((e: Y) => e.name);
  if (explicit.length) assertKnownNames('Deployment env', explicit);
  for (const from of gateway.envFrom ?? []) {
    if (from.configMapRef)
      assertKnownNames(`envFrom ${from.configMapRef.name}`, Object.keys(one('ConfigMap', from.configMapRef.name).data));
    if (from.secretRef)
      assertKnownNames(`envFrom ${from.secretRef.name}`, secretKeys(one('Secret', from.secretRef.name)));
  }
  assertKnownNames('docker-compose.yml gateway environment', Object.keys(composeEnv(compose.services.gateway)));
  const dockerEnv = gatewayImage.flatMap((s) => ops(s, 'ENV').flatMap(envNames));
  assertKnownNames('Dockerfile ENV', dockerEnv);
});

test("the ConfigMap with stand-in secrets passes the gateway's own config validation", () => {
  const config = podConfig();
  // loadConfig accepted the pod's environment (it throws otherwise); here, what it made of it.
  assert.equal(config.routes.length > 0, true, 'the routes ConfigMap holds no routes');
  assert.equal(config.rateLimitFailOpen, true);
  assert.equal(config.routeAllToLegacy, false, 'the shipped default must not be the rollback');
  for (const key of secretKeys(secret))
    assert.ok(key in TEST_SECRETS, `add a stand-in value for Secret key ${key} to this test`);
  // ROUTES_FILE is where the routes ConfigMap is mounted.
  const routesFilePath: string = flags.data.ROUTES_FILE;
  const mount = gateway.volumeMounts.find((m: Y) => routesFilePath.startsWith(`${m.mountPath}/`));
  assert.ok(mount, `ROUTES_FILE ${routesFilePath} is not under a volume mount`);
  const volume = podSpec.volumes.find((v: Y) => v.name === mount.name);
  assert.equal(volume.configMap?.name, 'figway-routes');
  const inside = routesFilePath.slice(mount.mountPath.length + 1);
  const item = volume.configMap.items?.find((i: Y) => i.path === inside) ?? { key: inside };
  assert.ok(item.key in routesMap.data, `the mount does not put ${inside} where ROUTES_FILE looks`);
  // The dev default REDIS_URL names the dev Redis Service and its port.
  const redisSvc = one('Service', 'figway-redis');
  const { host, port } = hostPort(flags.data.REDIS_URL);
  assert.equal(host, redisSvc.metadata.name);
  assert.equal(port, redisSvc.spec.ports[0].port);
});

test('the Secret template holds placeholders only, and the gateway refuses to start on them', () => {
  const values = { ...secret.stringData };
  for (const [k, v] of Object.entries(secret.data ?? {})) values[k] = Buffer.from(String(v), 'base64').toString();
  for (const [k, v] of Object.entries(values))
    assert.match(String(v), /^(|REPLACE_ME)$/, `secret.yaml ${k} must be a placeholder, never a real value`);
  const env = withRoutesFromConfigMap(podEnv(values as Record<string, string>));
  assert.throws(
    () => loadConfig(env, ROOT),
    (err: Error) => {
      for (const k of Object.keys(values))
        assert.match(err.message, new RegExp(`\\b${k}\\b`), `an unfilled ${k} must stop the start`);
      return true;
    },
  );
});

test('the routes ConfigMap is a valid route table, the same as config/routes.yaml', () => {
  const inCluster = parseYaml(routesMap.data['routes.yaml']);
  const parsed = routesFileSchema.safeParse(inCluster);
  assert.ok(parsed.success, `figway-routes is not a valid routes file: ${parsed.error?.message}`);
  assert.deepEqual(
    inCluster,
    parseYaml(read('config/routes.yaml')),
    'k8s/configmap.yaml (figway-routes) differs from config/routes.yaml: copy the file into the ConfigMap',
  );
});

test('dev-only Redis: persistent, marked dev-only, reachable by the gateway pods alone', () => {
  const text = read('k8s/redis.yaml');
  assert.match(text, /DEV ONLY/);
  const sts = one('StatefulSet', 'figway-redis');
  const args: string[] = sts.spec.template.spec.containers[0].args;
  assert.equal(args[args.indexOf('--appendonly') + 1], 'yes', 'append-only persistence');
  assert.ok(sts.spec.volumeClaimTemplates?.length === 1, 'a PVC for /data');
  const redisLabels = sts.spec.template.metadata.labels;
  assert.ok(selects(one('Service', 'figway-redis').spec.selector, redisLabels));
  const np = one('NetworkPolicy', 'figway-redis');
  assert.ok(selects(np.spec.podSelector.matchLabels, redisLabels));
  assert.ok(np.spec.ingress.every((r: Y) => r.from.every((f: Y) => selects(f.podSelector.matchLabels, podLabels))));
  assert.equal(sts.spec.template.spec.securityContext.runAsNonRoot, true);
});

// Node 24 is the LTS line; 20 reached end of life on 2026-04-30 (no more security releases), so no stage may build
// on it, nor on an odd-numbered line, which never becomes LTS. Development may still run 20.19+ (engines).
const IMAGE_NODE_LINE = 24;

test('Dockerfile: multi-stage on the Node LTS line (24), runs the built dist/main.js as a non-root user with a HEALTHCHECK', () => {
  assert.ok(gatewayImage.length >= 3, 'deps, build and runtime stages');
  for (const s of gatewayImage) {
    assert.match(
      s.from,
      new RegExp(`^node:${IMAGE_NODE_LINE}[-.]`),
      `stage ${s.name ?? ''} is not on Node ${IMAGE_NODE_LINE}: ${s.from}`,
    );
  }
  assert.match(
    JSON.parse(read('package.json')).engines.node,
    /^>=20\.19\./,
    'engines must keep accepting 20.19+ for development',
  );
  const runs = (s: Stage) => ops(s, 'RUN').join('\n');
  assert.ok(
    gatewayImage.some((s) => /npm ci(?![^\n]*--omit=dev)/.test(runs(s))),
    'a stage installs all dependencies with npm ci',
  );
  assert.ok(
    gatewayImage.some((s) => /npm run build/.test(runs(s))),
    'a stage runs npm run build',
  );
  assert.match(runs(runtime), /npm ci [^\n]*--omit=dev/, 'the runtime stage installs production dependencies only');
  assert.doesNotMatch(runs(runtime), /npm run build/);

  // CMD runs what `npm run build` produces and `npm start` runs.
  const pkg = JSON.parse(read('package.json'));
  // `npm run build` runs scripts/build.mjs, which compiles tsconfig.build.json into dist/ (by a rename).
  assert.match(pkg.scripts.build, /^node scripts\/build\.mjs$/);
  assert.match(read('scripts/build.mjs'), /tsconfig\.build\.json/);
  const startEntry = /^node\s+(\S+)$/.exec(pkg.scripts.start)?.[1];
  assert.ok(startEntry, `unexpected start script: ${pkg.scripts.start}`);
  const build = JSON.parse(read('tsconfig.build.json')).compilerOptions;
  const built = posix.join(build.outDir, posix.relative(build.rootDir, 'src/main.ts')).replace(/\.ts$/, '.js');
  assert.ok(existsSync(join(ROOT, 'src/main.ts')));
  assert.equal(built, startEntry, 'tsconfig.build.json does not put src/main.ts where npm start runs it');
  const cmd = ops(runtime, 'CMD');
  assert.equal(cmd.length, 1);
  assert.deepEqual(execForm(cmd[0], 'CMD'), ['node', startEntry]);
  assert.ok(
    ops(runtime, 'COPY').some((c) => c.includes('--from=') && c.includes(build.outDir)),
    'the runtime stage takes dist/ from the build',
  );
  assert.ok(
    ops(runtime, 'COPY').some((c) => /^config\s/.test(c)),
    'the runtime stage carries config/ (the default ROUTES_FILE)',
  );

  const users = ops(runtime, 'USER');
  assert.ok(
    users.length > 0 && !isRootUser(users[users.length - 1]),
    'the runtime stage must switch to a non-root USER',
  );
  assert.match(users[users.length - 1], /^\d+(:\d+)?$/, 'a numeric USER, which runAsNonRoot can verify');
  assert.equal(
    Number(users[users.length - 1].split(':')[0]),
    podSpec.securityContext.runAsUser,
    'image user and runAsUser agree',
  );
  const hc = ops(runtime, 'HEALTHCHECK');
  assert.equal(hc.length, 1, 'one HEALTHCHECK in the runtime stage');
  assert.match(hc[0], /\/health\b/);
  assert.doesNotMatch(hc[0], /\bcurl\b|\bwget\b/, 'slim images have neither curl nor wget');
  assert.deepEqual(ops(runtime, 'EXPOSE'), [String(podConfig().port)]);
  assert.deepEqual(ops(runtime, 'STOPSIGNAL'), ['SIGTERM']);
  assert.ok(
    ops(runtime, 'ENV').some((e) => /\bNODE_ENV=production\b/.test(e)),
    'NODE_ENV=production',
  );
});

test('.dockerignore keeps build outputs, dependencies and secrets out, and lets in what the Dockerfile copies', () => {
  const ignored = dockerignore('.dockerignore');
  for (const p of [
    'node_modules',
    'node_modules/yaml/package.json',
    'dist',
    'dist/main.js',
    'dist-test',
    'bench/results',
    '.git',
    '.git/HEAD',
    '.env',
    'src/app.spec.ts',
  ]) {
    assert.ok(ignored(p), `.dockerignore lets ${p} into the build context`);
  }
  const copied = gatewayImage
    .flatMap((s) => ops(s, 'COPY'))
    .filter((c) => !c.includes('--from='))
    .flatMap((c) =>
      c
        .split(/\s+/)
        .filter((t) => !t.startsWith('--'))
        .slice(0, -1),
    );
  assert.ok(copied.length > 0);
  for (const src of copied) {
    assert.ok(existsSync(join(ROOT, src)), `the Dockerfile copies ${src}, which does not exist`);
    assert.ok(!ignored(src.replace(/\/$/, '')), `the Dockerfile copies ${src}, which .dockerignore leaves out`);
  }
  for (const p of ['src/main.ts', 'config/routes.yaml']) assert.ok(!ignored(p), `${p} is needed by the build`);

  // The legacy app's image has its own context file, letting in the example app only.
  const legacyIgnored = dockerignore('deploy/legacy-flask.Dockerfile.dockerignore');
  assert.ok(!legacyIgnored('examples/legacy-flask/app.py') && !legacyIgnored('examples/legacy-flask/requirements.txt'));
  assert.ok(legacyIgnored('node_modules') && legacyIgnored('src/main.ts') && legacyIgnored('.git'));
});

test('docker-compose.yml: the stack, wired by names the gateway accepts, with health-gated start order', () => {
  const s = compose.services;
  for (const name of ['gateway', 'legacy', 'redis', 'prometheus', 'grafana']) assert.ok(s[name], `service ${name}`);

  assert.equal(s.gateway.build.dockerfile, 'Dockerfile');
  assert.ok(existsSync(join(ROOT, s.legacy.build.context, s.legacy.build.dockerfile)), 'legacy Dockerfile');

  // The gateway's environment, with the defaults Compose substitutes, passes loadConfig as the pods' does.
  const env = composeEnv(s.gateway);
  const c = loadConfig(env, ROOT);
  const legacy = hostPort(c.legacyUrls[0]);
  assert.equal(legacy.host, 'legacy', 'LEGACY_URL names the legacy service');
  const legacyImage = parseDockerfile(posix.join(s.legacy.build.context, s.legacy.build.dockerfile));
  const legacyCmd = execForm(ops(legacyImage[legacyImage.length - 1], 'CMD')[0], 'legacy CMD');
  assert.equal(
    legacyCmd[legacyCmd.indexOf('--bind') + 1],
    `0.0.0.0:${legacy.port}`,
    "gunicorn must listen on all interfaces, on LEGACY_URL's port",
  );
  assert.equal(hostPort(env.REDIS_URL).host, 'redis', 'REDIS_URL names the redis service');
  assert.ok(
    durationS(s.gateway.stop_grace_period) > (c.shutdown.delayMs + c.shutdown.graceMs) / 1000,
    'stop_grace_period shorter than the drain',
  );
  assert.ok(s.gateway.ports.some((p: string) => String(p).endsWith(`:${c.port}`)));

  for (const dep of ['redis', 'legacy']) {
    assert.equal(s.gateway.depends_on?.[dep]?.condition, 'service_healthy', `gateway waits for ${dep} to be healthy`);
  }
  for (const [name, svc] of Object.entries<Y>(s)) {
    if (name === 'gateway') continue; // its image's HEALTHCHECK, checked above
    assert.ok(svc.healthcheck?.test, `service ${name} has no healthcheck`);
  }
  const legacyHc = ops(legacyImage[legacyImage.length - 1], 'HEALTHCHECK');
  assert.equal(legacyHc.length, 1, 'the legacy image has a HEALTHCHECK');
  const legacyUser = ops(legacyImage[legacyImage.length - 1], 'USER');
  assert.ok(
    legacyUser.length > 0 && !isRootUser(legacyUser[legacyUser.length - 1]),
    'the legacy image runs as non-root',
  );

  const redisCmd: string[] = s.redis.command;
  assert.equal(redisCmd[redisCmd.indexOf('--appendonly') + 1], 'yes', 'Redis persistence (append-only)');
  assert.ok(
    composeMounts(s.redis).some((m) => m.target === '/data'),
    'Redis data on a volume',
  );

  const sources = (svc: Y) => composeMounts(svc).map((m) => m.source);
  for (const f of ['./prometheus.yml', './prometheus/alerts.yml'])
    assert.ok(sources(s.prometheus).includes(f), `prometheus mounts ${f}`);
  for (const f of ['./grafana/provisioning', './grafana/dashboards'])
    assert.ok(sources(s.grafana).includes(f), `grafana mounts ${f}`);
});
