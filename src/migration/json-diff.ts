/** A path into a JSON document: object keys and array indexes, as strings (`$.items.0.id` is ['items','0','id']). */
export type JsonPath = string[];

export interface Difference {
  path: string;
  primary: unknown;
  shadow: unknown;
}

export const formatPath = (p: JsonPath) => (p.length ? `$.${p.join('.')}` : '$');

/** Every leaf (or shape) where `a` and `b` differ, recursing through objects and arrays. */
export function diffJson(a: unknown, b: unknown, at: JsonPath = [], out: JsonPath[] = []): JsonPath[] {
  if (Object.is(a, b)) return out;
  const aObj = a !== null && typeof a === 'object';
  const bObj = b !== null && typeof b === 'object';
  if (!aObj || !bObj || Array.isArray(a) !== Array.isArray(b)) {
    out.push(at);
    return out;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) {
    if (!(k in ao) || !(k in bo)) out.push([...at, k]);
    else diffJson(ao[k], bo[k], [...at, k], out);
  }
  return out;
}

/** True when `pattern` (segments, `*` for any one) is `path` or one of its ancestors. */
export function covers(pattern: JsonPath, path: JsonPath): boolean {
  if (pattern.length > path.length) return false;
  return pattern.every((seg, i) => seg === '*' || seg === path[i]);
}

export function valueAt(doc: unknown, path: JsonPath): unknown {
  let v = doc;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}

/**
 * Differences between primary and shadow that are neither ignored by configuration nor volatile: a field that
 * differed between two answers of the primary itself (a timestamp, a request id) says nothing about the shadow
 * (Diffy's noise filter).
 */
export function realDifferences(
  primary: unknown,
  shadow: unknown,
  ignore: JsonPath[],
  volatile: JsonPath[],
): Difference[] {
  return diffJson(primary, shadow)
    .filter((p) => !ignore.some((i) => covers(i, p)) && !volatile.some((v) => covers(v, p)))
    .map((p) => ({ path: formatPath(p), primary: valueAt(primary, p), shadow: valueAt(shadow, p) }));
}
