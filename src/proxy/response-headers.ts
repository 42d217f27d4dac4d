import type { OutgoingHttpHeaders } from 'node:http';
import type { HeadEdit } from './response-transforms';
import { connectionTokens, isHopByHop } from './hop-by-hop';

/**
 * The client's response head from the upstream's raw fields: names keep their case and order, repeated fields
 * (Set-Cookie) stay separate, hop-by-hop ones and those Connection names go (Node re-frames the body itself).
 * `own` are the fields the gateway set before forwarding (request id, rate-limit, X-Cache): they replace an
 * upstream field of the same name, except Set-Cookie, which the gateway's own (the rollout cookie) join. `edits`
 * (the route's response transforms, built at boot) drop more upstream fields and append the gateway's fixed ones last.
 */
export function buildClientHeaders(raw: Buffer[], own: OutgoingHttpHeaders, edits?: readonly HeadEdit[]): string[] {
  let named: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 10 && raw[i].toString('latin1').toLowerCase() === 'connection') {
      named = connectionTokens(raw[i + 1].toString('latin1'));
    }
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toString('latin1');
    const lower = name.toLowerCase();
    if (
      isHopByHop(lower) ||
      (own[lower] !== undefined && lower !== 'set-cookie') ||
      named?.includes(lower) ||
      (edits !== undefined && dropped(edits, lower))
    )
      continue;
    out.push(name, raw[i + 1].toString('latin1'));
  }
  for (const name in own) pushField(out, name, own[name]);
  if (edits) for (const edit of edits) for (let i = 0; i < edit.append.length; i++) out.push(edit.append[i]);
  return out;
}

/**
 * The client's head for an answer from a stored upstream head (a cache hit), as a flat [name, value, ...] list
 * like a relayed one: the stored fields the `edits` do not drop and `own` does not replace, then `own`. Built
 * without copying the stored object or deleting from one (V8 turns an object fields were deleted from into a
 * slow dictionary for every later read and write).
 */
export function storedClientHeaders(
  stored: Readonly<OutgoingHttpHeaders>,
  own: OutgoingHttpHeaders,
  edits: readonly HeadEdit[],
): string[] {
  const out: string[] = [];
  for (const name in stored) {
    if (own[name] !== undefined || dropped(edits, name)) continue;
    pushField(out, name, stored[name]);
  }
  for (const name in own) pushField(out, name, own[name]);
  for (const edit of edits) for (let i = 0; i < edit.append.length; i++) out.push(edit.append[i]);
  return out;
}

function pushField(out: string[], name: string, v: OutgoingHttpHeaders[string]): void {
  if (v === undefined) return;
  if (Array.isArray(v)) for (const item of v) out.push(name, item);
  else out.push(name, String(v));
}

function dropped(edits: readonly HeadEdit[], name: string): boolean {
  for (let i = 0; i < edits.length; i++) if (edits[i].drop.has(name)) return true;
  return false;
}
