import { z } from 'zod';

/**
 * An upstream URL (LEGACY_URL, a routes.yaml `target:`) names where requests go; its path, if any, is a prefix put
 * before every request path, as YARP reads a destination address with a path and Kong a service's `path`:
 * `http://host:5000/legacy` sends `/api/v1/x` to `/legacy/api/v1/x` (the app is mounted there, behind a
 * SCRIPT_NAME or an ingress path). Normalised here, once, to the origin plus the prefix without a trailing slash
 * (request paths start with `/`), so a request costs one string concatenation. Parts a request cannot carry are
 * refused rather than dropped: credentials, a query, a fragment. The messages do not repeat the URL: it may hold
 * a password or a token.
 */
export const upstreamUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .superRefine((v, ctx) => {
    // Zod runs refinements after a failed check too: a string that is no URL is already reported.
    if (!URL.canParse(v)) return;
    const u = new URL(v);
    const shape = 'an upstream URL is scheme://host[:port] with an optional path prefix';
    if (u.username || u.password)
      ctx.addIssue({ code: 'custom', message: `must not carry credentials (user:password@): ${shape}` });
    if (u.search || v.includes('?')) ctx.addIssue({ code: 'custom', message: `must not have a query: ${shape}` });
    if (u.hash || v.includes('#')) ctx.addIssue({ code: 'custom', message: `must not have a fragment: ${shape}` });
  })
  .transform((v) => {
    const u = new URL(v);
    return u.origin + u.pathname.replace(/\/+$/, '');
  });

/** A normalised upstream URL split into the pool's origin and the path prefix ('' when none). */
export function splitUpstreamUrl(base: string): { origin: string; prefix: string } {
  const u = new URL(base);
  return { origin: u.origin, prefix: u.pathname === '/' ? '' : u.pathname.replace(/\/+$/, '') };
}
