import type { LegacySession } from '../../../auth/legacy-session/legacy-session';

/** What GET /chat/session tells the page: whether a legacy session is there, and a name to show for it. */
export interface PageSession {
  signed_in: boolean;
  user_id?: string;
  name?: string;
}

/** A name is shown in a header line, not stored: anything longer than this is not a user name. */
const MAX_NAME = 64;

/**
 * The legacy session as the page sees it. The name is the session's `username` (the example app keeps it there,
 * and introspection returns /api/v1/me's body) when it is a short string, else the user id: the legacy app owns
 * that data and its shape is not guaranteed.
 */
export function describeSession(session: LegacySession | null): PageSession {
  if (!session) return { signed_in: false };
  const username = session.data?.username;
  const name =
    typeof username === 'string' && username.trim() !== '' ? username.trim().slice(0, MAX_NAME) : session.userId;
  return { signed_in: true, user_id: session.userId, name };
}
