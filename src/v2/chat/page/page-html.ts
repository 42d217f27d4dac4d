/**
 * The /chat page. Markup only: no inline script, style attribute or event handler, so it runs under a policy as
 * strict as `default-src 'self'`; its script, stylesheet and icon are same-origin files under /chat/. The icon
 * link also keeps the browser from asking for /favicon.ico, which belongs to the legacy app (a 404 there would be
 * a console error on every load).
 */
export const CHAT_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Figway v2 chat</title>
<link rel="icon" href="/chat/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/chat/app.css">
<script src="/chat/app.js" defer></script>
</head>
<body>
<main>
<header>
<h1>v2 chat</h1>
<p id="account" hidden>Signed in as <strong id="who"></strong> <button id="signout" type="button">Sign out</button></p>
</header>
<section id="signin" hidden>
<h2>Sign in to the legacy app</h2>
<p class="hint">Your legacy account works here: the gateway exchanges its session for a v2 token.</p>
<form id="login-form">
<label>User name <input id="username" name="username" autocomplete="username" required></label>
<label>Password <input id="password" name="password" type="password" autocomplete="current-password" required></label>
<p id="signin-error" class="error" role="alert" hidden></p>
<button type="submit">Sign in</button>
</form>
</section>
<section id="chat" hidden>
<ol id="messages"></ol>
<form id="chat-form">
<label for="message" class="visually-hidden">Message</label>
<textarea id="message" name="message" rows="3" maxlength="8000" placeholder="Write a message" required></textarea>
<button id="send" type="submit">Send</button>
<p class="hint">Enter sends; Shift+Enter starts a new line.</p>
</form>
</section>
<p id="status" role="status" aria-live="polite">Loading...</p>
</main>
</body>
</html>
`;
