// Shared by the dashboard, alert-rule and fresh-instance tests: they check PromQL against what a live gateway exports.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** Sample name -> label names seen on it, from Prometheus text (histograms appear as _bucket/_sum/_count). */
export function sampleLabels(body: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const line of body.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s/.exec(line);
    if (!m) continue;
    const labels = out.get(m[1]) ?? new Set<string>();
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g)) labels.add(l[1]);
    out.set(m[1], labels);
  }
  return out;
}

const KEYWORDS = new Set(['bool', 'and', 'or', 'unless', 'offset', 'atan2', 'inf', 'nan']);
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
// Aggregations may put `by (...)` between their name and "(", so they are known by name.
const AGGREGATIONS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
]);

/**
 * The selectors (metric name, matcher labels) and grouping labels of a PromQL expression. A small scanner, not a
 * parser: strings and [ranges] are skipped, an identifier followed by "(" is a function or aggregation, one
 * followed by a label list after by/without/on/ignoring/group_* is grouping, any other identifier is a metric.
 * Grafana variables sit inside strings ("$route") or ranges ([$__rate_interval]), which are skipped.
 */
export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export function promqlNames(expr: string): {
  selectors: { metric: string; labels: string[]; matchers: Matcher[] }[];
  grouping: string[];
} {
  const s = expr;
  const selectors: { metric: string; labels: string[]; matchers: Matcher[] }[] = [];
  const grouping: string[] = [];
  const ws = (j: number) => {
    while (j < s.length && /\s/.test(s[j])) j++;
    return j;
  };
  const skipString = (j: number) => {
    const q = s[j];
    for (j++; j < s.length && s[j] !== q; j++) if (s[j] === '\\') j++;
    return j + 1;
  };
  const ident = (j: number) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(s.slice(j))?.[0] ?? '';
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '"' || c === "'" || c === '`') i = skipString(i);
    else if (c === '[') i = s.indexOf(']', i) + 1 || s.length;
    else if (c === '{') throw new Error(`a selector without a metric name in: ${expr}`);
    else if (c === '$') throw new Error(`a Grafana variable outside a string or range in: ${expr}`);
    else if (/[0-9.]/.test(c)) i += /^[0-9.][0-9a-zA-Z_.]*/.exec(s.slice(i))![0].length;
    else if (/[a-zA-Z_:]/.test(c)) {
      const name = ident(i);
      i = ws(i + name.length);
      if (GROUPING.has(name)) {
        if (s[i] !== '(') continue;
        const close = s.indexOf(')', i);
        grouping.push(
          ...s
            .slice(i + 1, close)
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean),
        );
        i = close + 1;
      } else if (KEYWORDS.has(name.toLowerCase()) || AGGREGATIONS.has(name) || s[i] === '(') {
        continue;
      } else {
        const labels: string[] = [];
        const matchers: Matcher[] = [];
        if (s[i] === '{') {
          for (i++; ;) {
            i = ws(i);
            if (s[i] === ',') i++;
            i = ws(i);
            if (s[i] === '}') break;
            const label = ident(i);
            if (!label) throw new Error(`cannot read the matchers at "${s.slice(i)}" in: ${expr}`);
            labels.push(label);
            i = ws(i + label.length);
            const op = (/^(=~|!~|!=|=)/.exec(s.slice(i))?.[0] ?? '=') as Matcher['op'];
            i = ws(i + op.length);
            const end = skipString(i);
            const quoted = s.slice(i, end);
            matchers.push({ label, op, value: quoted.startsWith('"') ? JSON.parse(quoted) : quoted.slice(1, -1) });
            i = end;
          }
          i++;
        }
        selectors.push({ metric: name, labels, matchers });
      }
    } else i++;
  }
  return { selectors, grouping };
}

/** Every sample of a Prometheus text scrape, with its labels and value. */
export function parseSamples(body: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of body.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]] = JSON.parse(`"${l[2]}"`);
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** Whether a sample's labels satisfy a matcher (PromQL regexes are anchored; an absent label is ""). */
export function matches(labels: Record<string, string>, m: Matcher): boolean {
  const v = labels[m.label] ?? '';
  if (m.op === '=') return v === m.value;
  if (m.op === '!=') return v !== m.value;
  const re = new RegExp(`^(?:${m.value})$`);
  return m.op === '=~' ? re.test(v) : !re.test(v);
}

/**
 * Every PromQL expression the monitoring runs, named for messages: the Grafana dashboards' panel targets,
 * annotations and query variables (label_values(metric, label) read as the metric), and the alert rules.
 */
export function monitoringQueries(root: string): { where: string; expr: string }[] {
  type Panel = { title?: string; targets?: { expr?: string; refId?: string }[]; panels?: Panel[] };
  const out: { where: string; expr: string }[] = [];
  const dir = join(root, 'grafana/dashboards');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
    const d = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    const walk = (ps: Panel[] = []): Panel[] => ps.flatMap((p) => [p, ...walk(p.panels)]);
    for (const p of walk(d.panels))
      for (const t of p.targets ?? []) if (t.expr) out.push({ where: `${f} "${p.title}" ${t.refId}`, expr: t.expr });
    for (const a of d.annotations?.list ?? [])
      if (a.expr) out.push({ where: `${f} annotation "${a.name}"`, expr: a.expr });
    for (const v of d.templating?.list ?? []) {
      if (v.type !== 'query') continue;
      const q: string = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
      out.push({
        where: `${f} variable $${v.name}`,
        expr: /^label_values\((.+),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)$/.exec(q.trim())?.[1] ?? q,
      });
    }
  }
  const rules = parse(readFileSync(join(root, 'prometheus/alerts.yml'), 'utf8')) as {
    groups: { rules: { alert?: string; expr: string }[] }[];
  };
  for (const r of rules.groups.flatMap((g) => g.rules))
    out.push({ where: `prometheus/alerts.yml ${r.alert}`, expr: r.expr });
  return out;
}
