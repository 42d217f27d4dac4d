import type { LegacySession } from './legacy-session';

/** Browsers cap a cookie near 4 KiB; anything past twice that is not a cookie the legacy app set. */
export const MAX_COOKIE_CHARS = 8 * 1024;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array) &&
    !(value instanceof Date)
  );
}

/**
 * The user is `str(session[user_key])` on the Python side. Only strings and integers are accepted: JS and Python
 * print floats and booleans differently, and an integer beyond 2^53 that reached us as a number has lost digits,
 * which could name a different user.
 */
export function toLegacySession(session: unknown, userKey: string): LegacySession | null {
  if (!isRecord(session) || !Object.hasOwn(session, userKey)) return null;
  const id = session[userKey];
  const ok =
    (typeof id === 'string' && id !== '') ||
    typeof id === 'bigint' ||
    (typeof id === 'number' && Number.isSafeInteger(id));
  return ok ? { userId: String(id), data: session } : null;
}
