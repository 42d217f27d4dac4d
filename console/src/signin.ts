import { problemWords, type Problem } from './words';

/**
 * The sign-in page (src/console/console-html.ts): the token goes to POST /admin/session as JSON, never in a URL, and
 * is kept nowhere in the page (no storage, the field emptied); the gateway answers with an HttpOnly session cookie.
 */
const form = document.getElementById('signin') as HTMLFormElement;
const field = document.getElementById('token') as HTMLInputElement;
const error = document.getElementById('signin-error') as HTMLParagraphElement;
const button = form.querySelector('button[type=submit]') as HTMLButtonElement;

function say(words: string): void {
  error.textContent = words;
  error.hidden = false;
}

async function signIn(token: string): Promise<void> {
  const res = await fetch('/admin/session', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-figway-console': '1' },
    body: JSON.stringify({ token }),
  });
  if (res.ok) {
    // The same address now answers with the console. A reload, not a navigation: to the same URL with a
    // `#/route/...` the operator came with, a navigation would only move to the fragment.
    location.reload();
    return;
  }
  if (res.status === 401) return say('That is not the gateway’s admin token (ADMIN_TOKEN). Nothing was signed in.');
  const problem = (await res.json().catch(() => ({ status: res.status }))) as Problem;
  say(problemWords({ status: res.status, ...problem }));
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = field.value;
  field.value = '';
  error.hidden = true;
  button.disabled = true;
  signIn(token)
    .catch((err: Error) => say(`The gateway did not answer (${err.message}).`))
    .finally(() => {
      button.disabled = false;
      field.focus();
    });
});
