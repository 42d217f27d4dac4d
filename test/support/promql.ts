// Shared by the dashboard and alert-rule tests: both check PromQL against what a live gateway exports.

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
const AGGREGATIONS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile']);

/**
 * The selectors (metric name, matcher labels) and grouping labels of a PromQL expression. A small scanner, not a
 * parser: strings and [ranges] are skipped, an identifier followed by "(" is a function or aggregation, one
 * followed by a label list after by/without/on/ignoring/group_* is grouping, any other identifier is a metric.
 * Grafana variables sit inside strings ("$route") or ranges ([$__rate_interval]), which are skipped.
 */
export function promqlNames(expr: string): { selectors: { metric: string; labels: string[] }[]; grouping: string[] } {
  const s = expr;
  const selectors: { metric: string; labels: string[] }[] = [];
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
        grouping.push(...s.slice(i + 1, close).split(',').map((x) => x.trim()).filter(Boolean));
        i = close + 1;
      } else if (KEYWORDS.has(name.toLowerCase()) || AGGREGATIONS.has(name) || s[i] === '(') {
        continue;
      } else {
        const labels: string[] = [];
        if (s[i] === '{') {
          for (i++; ; ) {
            i = ws(i);
            if (s[i] === ',') i++;
            i = ws(i);
            if (s[i] === '}') break;
            const label = ident(i);
            if (!label) throw new Error(`cannot read the matchers at "${s.slice(i)}" in: ${expr}`);
            labels.push(label);
            i = ws(i + label.length);
            i += /^(=~|!~|!=|=)/.exec(s.slice(i))?.[0].length ?? 0;
            i = skipString(ws(i));
          }
          i++;
        }
        selectors.push({ metric: name, labels });
      }
    } else i++;
  }
  return { selectors, grouping };
}
