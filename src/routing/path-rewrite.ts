/**
 * Compiles `from` -> `to` path rewrites at boot. Patterns use the router syntax: `:name` matches one segment,
 * a trailing `/*` matches the rest. Rewrites work on the raw (still percent-encoded) path, so `%2F` stays `%2F`.
 */
export type PathRewrite = (rawPath: string) => string;

export const identity: PathRewrite = (p) => p;

export function compileRewrite(from: string, to: string | undefined): PathRewrite {
  if (!to || to === from) return identity;
  if (from.endsWith('/*')) {
    const fromPrefix = from.slice(0, -1); // keeps the slash: '/api/v2/chat/'
    const toPrefix = to.slice(0, -1);
    const fromBare = fromPrefix.slice(0, -1);
    const toBare = toPrefix.slice(0, -1) || '/';
    return (p) => (p.startsWith(fromPrefix) ? toPrefix + p.slice(fromPrefix.length) : p === fromBare ? toBare : p);
  }
  const fromSegs = from.split('/');
  const paramIndex = new Map<string, number>();
  fromSegs.forEach((s, i) => s.startsWith(':') && paramIndex.set(s.slice(1), i));
  if (paramIndex.size === 0) return () => to;
  const toParts = to
    .split('/')
    .map((s) => (s.startsWith(':') && paramIndex.has(s.slice(1)) ? paramIndex.get(s.slice(1))! : s));
  return (p) => {
    const segs = p.split('/');
    return toParts.map((part) => (typeof part === 'number' ? (segs[part] ?? '') : part)).join('/');
  };
}

/** Splits a raw request target into its path and its query part (with the `?`), untouched. */
export function splitTarget(url: string): [path: string, query: string] {
  const q = url.indexOf('?');
  return q === -1 ? [url, ''] : [url.slice(0, q), url.slice(q)];
}
