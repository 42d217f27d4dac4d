/**
 * The path the gateway decides on. Dot segments (also percent-encoded: RFC 3986 2.3 makes `%2E` and `.` the same
 * character) and empty segments are removed once, before routing, and the upstream receives that same path:
 * a route, a limit or an auth check can never see `/a/../b` while the upstream serves `/b` (Envoy's
 * `normalize_path` + `merge_slashes`). Everything else in the path is kept byte for byte.
 */

const NEEDS_LOOK = /\/\/|\/\.|\/%2e/i;

/** RFC 3986 5.2.4 remove_dot_segments on an absolute path, plus merging of empty segments. */
export function normalizePath(path: string): string {
  if (!NEEDS_LOOK.test(path)) return path;
  const input = path.split('/');
  const out: string[] = [];
  // A path ending in a dot segment or a slash names a "directory": keep its trailing slash.
  let trailingSlash = false;
  for (let i = 1; i < input.length; i++) {
    const seg = input[i];
    const dots = seg.length <= 6 ? seg.replace(/%2e/gi, '.') : seg;
    const last = i === input.length - 1;
    if (dots === '.' || dots === '..') {
      if (dots === '..') out.pop();
      trailingSlash = last;
    } else if (seg === '') {
      trailingSlash = last;
    } else {
      out.push(seg);
      trailingSlash = false;
    }
  }
  return '/' + out.join('/') + (trailingSlash && out.length ? '/' : '');
}

const SLASH_LIKE = /%2f|%5c|\\/gi;

/** Percent-decodes what a lax upstream would decode, except `%25` (a literal percent stays a literal percent). */
function decodeLax(path: string): string | undefined {
  try {
    return decodeURIComponent(path.replace(/%25/g, '%2525'));
  } catch {
    return undefined;
  }
}

/** Encoded and back-slashes taken as `/`, escapes decoded, dot segments removed; undefined for a malformed escape. */
function readLax(path: string): string | undefined {
  const d = decodeLax(path.replace(SLASH_LIKE, '/'));
  return d === undefined ? undefined : normalizePath(d);
}

/**
 * RFC 3986 3.3 path parameters: from a `;` to the end of its segment. Servlet containers and the frameworks on them
 * (Tomcat, Jetty, Spring's UrlPathHelper, Shiro) remove them from the raw path before decoding and routing, so
 * `/a;x=y/b` is `/a/b` there and `/a/..;/b` is `/b` (CVE-2020-1957).
 */
const PATH_PARAMS = /;[^/]*/g;

export interface Readings {
  /** Encoded and back-slashes taken as `/`, escapes decoded, dot segments removed; undefined when nothing changes. */
  decoded?: string;
  /** `;parameters` removed from every segment, then read as `decoded` is; undefined when there are none. */
  withoutParams?: string;
  /** The decoded reading in lower case (Werkzeug and Express keep case; IIS and many Java stacks fold it). */
  folded?: string;
}

/**
 * Other readings of a raw path that some upstream would act on. `alwaysFold` asks for the folded reading of
 * lower-case paths too: needed when routes.yaml declares capitals, since `/reports` then folds into `/Reports`. The gateway refuses a request whose readings would
 * choose a different route than the path as written. Returns undefined for a path that cannot be read differently,
 * and null for malformed percent-encoding.
 */
export function alternativeReadings(path: string, alwaysFold = false): Readings | undefined | null {
  const escaped = path.includes('%') || path.includes('\\');
  const upper = alwaysFold || /[A-Z]/.test(path);
  const params = path.includes(';');
  if (!escaped && !upper && !params) return undefined;
  const out: Readings = {};
  let decoded = path;
  if (escaped) {
    const d = readLax(path);
    if (d === undefined) return null;
    decoded = d;
    if (decoded !== path) out.decoded = decoded;
  }
  if (params) {
    const bare = path.replace(PATH_PARAMS, '');
    // Any malformed escape was already reported above: stripping only removes bytes.
    const read = escaped ? readLax(bare) : normalizePath(bare);
    if (read !== undefined && read !== path) out.withoutParams = read;
  }
  const folded = decoded.toLowerCase();
  if (folded !== decoded || alwaysFold) out.folded = folded;
  return out;
}
