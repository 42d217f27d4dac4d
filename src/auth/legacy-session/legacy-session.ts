/** A legacy user proven by the legacy app's own session. */
export interface LegacySession {
  userId: string;
  /** The session's fields (chat history lives here in the example app); absent for introspection. */
  data?: Record<string, unknown>;
}

/** Reads the legacy session carried by a cookie value; null when there is no valid session. Never throws. */
export interface LegacySessionReader {
  readonly mode: 'flask_cookie' | 'flask_redis' | 'introspect';
  read(cookieValue: string): Promise<LegacySession | null>;
}
