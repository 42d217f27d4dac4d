/**
 * The /chat page's stylesheet, served as /chat/app.css so `style-src 'self'` allows it without a nonce. The
 * `[hidden]` rule comes first on purpose: the sections are shown and hidden with the attribute, and a `display`
 * set below would otherwise override it.
 */
export const CHAT_PAGE_CSS = `[hidden] { display: none !important; }
:root {
  color-scheme: light dark;
  --bg: #f4f5f7; --card: #fff; --text: #1d2330; --muted: #5c6475; --line: #d9dde5;
  --accent: #2f6fde; --accent-text: #fff; --mine: #e3edff; --theirs: #f0f1f4; --error: #b3261e; --error-bg: #fdecea;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #15181e; --card: #1e222a; --text: #e6e8ec; --muted: #9aa2b1; --line: #333947;
    --accent: #6a9cf5; --accent-text: #0d1117; --mine: #243659; --theirs: #2a2f3a; --error: #ff8a80; --error-bg: #3b1f1f;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
main {
  max-width: 44rem; margin: 2rem auto; padding: 1.25rem 1.5rem; background: var(--card);
  border: 1px solid var(--line); border-radius: 12px; box-shadow: 0 2px 12px rgb(0 0 0 / 6%);
}
header { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: .5rem 1rem; }
h1 { margin: 0 0 .75rem; font-size: 1.5rem; }
h2 { margin: .5rem 0; font-size: 1.15rem; }
#account { margin: 0; color: var(--muted); }
#account strong { color: var(--text); }
.hint { margin: .25rem 0 .75rem; color: var(--muted); font-size: .875rem; }
label { display: block; margin: .5rem 0; font-weight: 600; }
input, textarea {
  display: block; width: 100%; margin-top: .25rem; padding: .5rem .625rem; font: inherit; font-weight: 400; color: inherit;
  background: var(--card); border: 1px solid var(--line); border-radius: 8px;
}
input:focus, textarea:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
textarea { resize: vertical; min-height: 4.5rem; }
button {
  padding: .5rem 1rem; font: inherit; font-weight: 600; color: var(--accent-text); background: var(--accent);
  border: 0; border-radius: 8px; cursor: pointer;
}
button:disabled { opacity: .55; cursor: progress; }
#signout { padding: .25rem .75rem; font-size: .875rem; color: var(--accent); background: transparent; border: 1px solid var(--line); }
#login-form { max-width: 22rem; }
.error { margin: .5rem 0; padding: .5rem .75rem; color: var(--error); background: var(--error-bg); border-radius: 8px; }
#messages {
  list-style: none; margin: 0 0 1rem; padding: 0; display: flex; flex-direction: column; gap: .5rem;
  max-height: 60vh; overflow-y: auto;
}
.msg { max-width: 85%; padding: .5rem .75rem; border-radius: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
.msg strong { display: block; font-size: .75rem; color: var(--muted); }
.msg.user { align-self: flex-end; background: var(--mine); border-bottom-right-radius: 4px; }
.msg.assistant { align-self: flex-start; background: var(--theirs); border-bottom-left-radius: 4px; }
#chat-form { display: grid; grid-template-columns: 1fr auto; gap: .5rem; align-items: end; }
#chat-form textarea { margin: 0; }
#chat-form .hint { grid-column: 1 / -1; margin: 0; }
#status { margin: 1rem 0 0; color: var(--muted); font-size: .875rem; }
.visually-hidden {
  position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
`;

/** A small speech-bubble icon (/chat/icon.svg), so the tab has one and no /favicon.ico request is made. */
export const CHAT_PAGE_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><path fill="#2f6fde" d="M6 4h20a4 4 0 0 1 4 4v12a4 4 0 0 1-4 4H14l-7 6v-6H6a4 4 0 0 1-4-4V8a4 4 0 0 1 4-4z"/></svg>
`;
