/**
 * Decoder for Flask's TaggedJSONSerializer (flask/json/tag.py, Flask 3.1): non-JSON Python values are written as a
 * one-key object whose key is a tag. Python untags bottom-up (`_untag_scan`: children first, then the dict itself),
 * and only a dict with exactly one key that is a registered tag is untagged; so does this.
 *
 * Flask 3.1 registers ` di`, ` t`, ` b`, ` m`, ` u`, ` d` (lists and plain dicts are untagged pass-throughs; there is
 * no ` l` tag). Unknown tags (an app's custom `register`) are left as plain objects, as Python's `untag` does.
 */

type Untagger = (value: unknown) => unknown;

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function str(value: unknown, tag: string): string {
  if (typeof value !== 'string') throw new TypeError(`tag ${tag} wants a string`);
  return value;
}

/** uuid.UUID(hex) drops `urn:`, `uuid:`, braces and hyphens, then needs 32 hex digits; we return the canonical form. */
function uuidText(value: unknown): string {
  const hex = str(value, ' u')
    .replace(/urn:|uuid:/g, '')
    .replace(/^\{+|\}+$/g, '')
    .replace(/-/g, '')
    .toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new TypeError('bad uuid');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const TAGS = new Map<string, Untagger>([
  // TagDict: a user dict whose only key collides with a tag, stored as {"<key>__": value}.
  [
    ' di',
    (value) => {
      const entries = value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : [];
      if (entries.length !== 1) throw new TypeError('tag  di wants a one-key object');
      return Object.fromEntries([[entries[0][0].slice(0, -2), entries[0][1]]]);
    },
  ],
  [
    ' t',
    (value) => {
      if (!Array.isArray(value)) throw new TypeError('tag  t wants an array');
      return value;
    },
  ],
  // TagBytes uses standard (padded, not URL-safe) base64.
  [
    ' b',
    (value) => {
      if (!B64.test(str(value, ' b'))) throw new TypeError('bad base64');
      return Buffer.from(value as string, 'base64');
    },
  ],
  [' m', (value) => str(value, ' m')],
  [' u', uuidText],
  // werkzeug.http.http_date (second precision, GMT); parse_date yields None on garbage, hence null.
  [
    ' d',
    (value) => {
      const ms = Date.parse(str(value, ' d'));
      return Number.isNaN(ms) ? null : new Date(ms);
    },
  ],
]);

export function untagFlaskJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(untagFlaskJson);
  if (value === null || typeof value !== 'object') return value;
  // fromEntries defines own properties, so a "__proto__" key stays data instead of swapping the prototype.
  const entries = Object.entries(value).map(([k, v]) => [k, untagFlaskJson(v)] as const);
  const tag = entries.length === 1 ? TAGS.get(entries[0][0]) : undefined;
  return tag ? tag(entries[0][1]) : Object.fromEntries(entries);
}

/**
 * CPython's json.loads raises RecursionError near its recursion limit (1000 by default), so Flask loads no session
 * nested that deep. Checked before JSON.parse: a validly signed 1 MiB payload of nested brackets would otherwise
 * cost a request far more time and memory than any real session (issue 9; figures in bench/README.md, "Figures
 * behind code comments").
 */
const MAX_DEPTH = 990;

function tooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_DEPTH) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Throws on malformed JSON or a malformed tagged value (Python raises too, which itsdangerous turns into BadPayload). */
export function parseFlaskTaggedJson(text: string): unknown {
  if (tooDeep(text)) throw new RangeError('session JSON nested deeper than Python would load');
  return untagFlaskJson(JSON.parse(text));
}
