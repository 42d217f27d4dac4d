/**
 * The two HTML documents of /admin/. Markup only: every script and style is a same-origin file
 * (/admin/assets/...), so they run under the gateway's HTML policy (`script-src 'self'` plus a nonce) with no
 * inline code, no style attribute and no event handler attribute anywhere. The ids below are what
 * console/src/signin.ts and console/src/main.tsx look for.
 */
const head = (title: string, script: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="stylesheet" href="/admin/assets/console.css">
<script type="module" src="/admin/assets/${script}"></script>
</head>`;

/**
 * Signed out. The form posts to /admin/session (never a GET: the token must not land in a URL, a log or the
 * history even if the script failed to load); signin.js sends it as JSON with the console header instead.
 */
export const SIGNIN_HTML = `${head('Sign in: Figway console', 'signin.js')}
<body class="signin-page">
<main class="signin">
<h1>Figway migration console</h1>
<form id="signin" class="signin-form" method="post" action="/admin/session">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
<p id="signin-error" class="signin-error" role="alert" hidden></p>
</form>
</main>
</body>
</html>
`;

/** Signed in: an empty shell console.js renders into. */
export const CONSOLE_HTML = `${head('Figway console', 'console.js')}
<body>
<div id="app"></div>
<noscript>The console needs JavaScript.</noscript>
</body>
</html>
`;
