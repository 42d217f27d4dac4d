import { create, type ArrayDelta, type Delta, type ObjectDelta } from 'jsondiffpatch';

/**
 * A side-by-side structural diff of two JSON bodies: one row per pretty-printed line, the primary's on the left and
 * the shadow's on the right, each row marked with what jsondiffpatch found there. Arrays are matched by position
 * (no objectHash, no moves), as the gateway's own comparison does (src/migration/json-diff.ts), so a row's path is
 * the path `differences` names.
 */
export type RowKind = 'same' | 'changed' | 'added' | 'removed' | 'ignored' | 'noise';

export interface DiffRow {
  depth: number;
  kind: RowKind;
  /** `$.items.0.id`, as the gateway writes paths. */
  path: string;
  left: string | null;
  right: string | null;
}

interface Line {
  depth: number;
  path: string;
  text: string;
}

interface Marks {
  ignored: string[][];
  noise: string[][];
}

const differ = create({ arrays: { detectMove: false } });

/** `$.items.*.id` → ['items', '*', 'id'] (the routes schema's form: dots, `*` for any key or index). */
const segments = (path: string) => path.split('.').slice(1);

export function diffRows(primary: unknown, shadow: unknown, ignored: string[] = [], noise: string[] = []): DiffRow[] {
  const out: DiffRow[] = [];
  const marks = { ignored: ignored.map(segments), noise: noise.map(segments) };
  walk(
    { left: primary, right: shadow, delta: differ.diff(primary, shadow), path: [], key: null, depth: 0 },
    marks,
    out,
  );
  return out;
}

interface Node {
  left: unknown;
  right: unknown;
  delta: Delta;
  path: string[];
  key: string | null;
  depth: number;
}

const covers = (pattern: string[], path: string[]) =>
  pattern.length <= path.length && pattern.every((seg, i) => seg === '*' || seg === path[i]);

function markOf(path: string[], marks: Marks): RowKind | undefined {
  if (marks.ignored.some((p) => covers(p, path))) return 'ignored';
  if (marks.noise.some((p) => covers(p, path))) return 'noise';
  return undefined;
}

const formatPath = (p: string[]) => (p.length ? `$.${p.join('.')}` : '$');
const isContainer = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';

/** The lines of one value as pretty JSON, each with its depth and path. */
function valueLines(value: unknown, key: string | null, path: string[], depth: number): Line[] {
  const prefix = key === null ? '' : `${JSON.stringify(key)}: `;
  if (!isContainer(value)) return [{ depth, path: formatPath(path), text: prefix + JSON.stringify(value) }];
  const array = Array.isArray(value);
  const entries = Object.entries(value);
  if (!entries.length) return [{ depth, path: formatPath(path), text: prefix + (array ? '[]' : '{}') }];
  const lines: Line[] = [{ depth, path: formatPath(path), text: prefix + (array ? '[' : '{') }];
  for (const [k, v] of entries) lines.push(...valueLines(v, array ? null : k, [...path, k], depth + 1));
  lines.push({ depth, path: formatPath(path), text: array ? ']' : '}' });
  return lines;
}

function same(node: Node, marks: Marks, out: DiffRow[]): void {
  for (const line of valueLines(node.left, node.key, node.path, node.depth)) {
    const kind = markOf(segments(line.path), marks) ?? 'same';
    out.push({ depth: line.depth, path: line.path, kind, left: line.text, right: line.text });
  }
}

/** Two different values side by side, the shorter padded with empty cells. */
function changed(node: Node, kind: RowKind, marks: Marks, out: DiffRow[]): void {
  const left = kind === 'added' ? [] : valueLines(node.left, node.key, node.path, node.depth);
  const right = kind === 'removed' ? [] : valueLines(node.right, node.key, node.path, node.depth);
  const shown = markOf(node.path, marks) ?? kind;
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const line = left[i] ?? right[i];
    out.push({
      depth: line.depth,
      path: line.path,
      kind: shown,
      left: left[i]?.text ?? null,
      right: right[i]?.text ?? null,
    });
  }
}

function walk(node: Node, marks: Marks, out: DiffRow[]): void {
  const { delta } = node;
  if (delta === undefined) return same(node, marks, out);
  if (Array.isArray(delta)) {
    if (delta.length === 1) return changed(node, 'added', marks, out);
    if (delta.length === 3 && delta[2] === 0) return changed(node, 'removed', marks, out);
    return changed(node, 'changed', marks, out);
  }
  const array = '_t' in delta && delta._t === 'a';
  const prefix = node.key === null ? '' : `${JSON.stringify(node.key)}: `;
  const path = formatPath(node.path);
  const kind = markOf(node.path, marks) ?? 'same';
  out.push({ depth: node.depth, path, kind, left: prefix + (array ? '[' : '{'), right: prefix + (array ? '[' : '{') });
  if (array) walkArray(node, delta as ArrayDelta, marks, out);
  else walkObject(node, delta as ObjectDelta, marks, out);
  out.push({ depth: node.depth, path, kind, left: array ? ']' : '}', right: array ? ']' : '}' });
}

function walkObject(node: Node, delta: ObjectDelta, marks: Marks, out: DiffRow[]): void {
  const left = node.left as Record<string, unknown>;
  const right = node.right as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])];
  for (const k of keys) {
    walk(
      { left: left[k], right: right[k], delta: delta[k], path: [...node.path, k], key: k, depth: node.depth + 1 },
      marks,
      out,
    );
  }
}

/**
 * jsondiffpatch names removed items by their old index (`_2`) and added or changed ones by their new index; the
 * items neither removed nor added pair up in order, so one pass over both arrays lines them up.
 */
function walkArray(node: Node, delta: ArrayDelta, marks: Marks, out: DiffRow[]): void {
  const left = node.left as unknown[];
  const right = node.right as unknown[];
  const d = delta as unknown as Record<string, Delta>;
  const removed = (i: number) => Array.isArray(d[`_${i}`]);
  const added = (j: number) => Array.isArray(d[j]) && (d[j] as unknown[]).length === 1;
  const depth = node.depth + 1;
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i < left.length && removed(i)) {
      walk(
        { left: left[i], right: undefined, delta: [left[i], 0, 0], path: [...node.path, String(i)], key: null, depth },
        marks,
        out,
      );
      i++;
    } else if (j < right.length && (added(j) || i >= left.length)) {
      walk(
        { left: undefined, right: right[j], delta: [right[j]], path: [...node.path, String(j)], key: null, depth },
        marks,
        out,
      );
      j++;
    } else if (j >= right.length) {
      walk(
        { left: left[i], right: undefined, delta: [left[i], 0, 0], path: [...node.path, String(i)], key: null, depth },
        marks,
        out,
      );
      i++;
    } else {
      walk(
        { left: left[i], right: right[j], delta: d[j], path: [...node.path, String(j)], key: null, depth },
        marks,
        out,
      );
      i++;
      j++;
    }
  }
}
