/**
 * Placeholder for the sign-in script (the console-ui branch brings the real one): posts the token as JSON to
 * /admin/session with the console header and reloads /admin/ on success.
 */
const form = document.getElementById('signin') as HTMLFormElement;
const field = document.getElementById('token') as HTMLInputElement;
const error = document.getElementById('signin-error') as HTMLParagraphElement;

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = field.value;
  field.value = '';
  void fetch('/admin/session', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-figway-console': '1' },
    body: JSON.stringify({ token }),
  }).then((res) => {
    if (res.ok) return location.replace('/admin/');
    error.textContent = res.status === 401 ? 'That is not the admin token.' : `Sign-in failed (${res.status}).`;
    error.hidden = false;
  });
});
