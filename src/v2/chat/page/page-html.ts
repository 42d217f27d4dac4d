/** The /chat page. Markup only: no inline script, style attribute or event handler (CSP `default-src 'self'`). */
export const CHAT_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Figway v2 chat</title>
<script src="/chat/app.js" defer></script>
</head>
<body>
<main>
<h1>v2 chat</h1>
<section id="signin" hidden>
<h2>Sign in to the legacy app</h2>
<form id="login-form">
<label>User <input id="username" name="username" autocomplete="username" required></label>
<label>Password <input id="password" name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>
</section>
<section id="chat" hidden>
<p id="who"></p>
<ol id="messages"></ol>
<form id="chat-form">
<label>Message <textarea id="message" name="message" rows="3" maxlength="8000" required></textarea></label>
<button id="send" type="submit">Send</button>
</form>
</section>
<p id="status" role="status" aria-live="polite">Loading...</p>
</main>
</body>
</html>
`;
