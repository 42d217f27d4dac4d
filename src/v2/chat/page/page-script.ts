/**
 * The /chat page's script, served as a same-origin file (/chat/app.js) so `script-src 'self'` allows it.
 * On load it asks GET /chat/session whether a legacy session is there: that answers 200 either way, so a visitor
 * who is not signed in sees no failed request in the console. Signs in on the legacy app when asked
 * (POST /api/v1/login), exchanges the legacy session for a v2 access token (POST /api/v2/auth/token), shows the
 * history, and streams replies with fetch + a ReadableStream reader: an EventSource cannot POST. Signing out ends
 * both sides: the v2 token (POST /api/v2/auth/logout) and the legacy session (POST /api/v1/logout).
 */
export const CHAT_PAGE_JS = String.raw`'use strict';
(function () {
  var token = null;
  var busy = false;
  var $ = function (id) { return document.getElementById(id); };
  var status = function (text) { $('status').textContent = text; };

  function signinError(text) {
    $('signin-error').textContent = text || '';
    $('signin-error').hidden = !text;
  }

  function addMessage(role, text) {
    var li = document.createElement('li');
    li.className = 'msg ' + role;
    var who = document.createElement('strong');
    who.textContent = role === 'user' ? 'You' : 'Assistant';
    var body = document.createElement('span');
    body.className = 'text';
    body.textContent = text;
    li.appendChild(who);
    li.appendChild(body);
    $('messages').appendChild(li);
    li.scrollIntoView({ block: 'end' });
    return body;
  }

  // A problem document's detail (RFC 9457), else the status: what a person can act on.
  async function problemText(res) {
    var problem = await res.json().catch(function () { return {}; });
    return problem.detail || problem.title || ('HTTP ' + res.status);
  }

  function showSignin(text) {
    token = null;
    $('account').hidden = true;
    $('chat').hidden = true;
    $('messages').textContent = '';
    $('signin').hidden = false;
    $('password').value = '';
    status(text);
    $($('username').value ? 'password' : 'username').focus();
  }

  async function showChat(name) {
    $('who').textContent = name;
    $('account').hidden = false;
    $('signin').hidden = true;
    $('chat').hidden = false;
    var res = await fetch('/api/v2/chat/history', { headers: { authorization: 'Bearer ' + token } });
    $('messages').textContent = '';
    if (res.ok) (await res.json()).messages.forEach(function (m) { addMessage(m.role, m.content); });
    status('Ready.');
    $('message').focus();
  }

  // Legacy session -> v2 token -> chat; the sign-in form when there is no session.
  async function start() {
    var res = await fetch('/chat/session', { credentials: 'same-origin', cache: 'no-store' });
    var session = res.ok ? await res.json() : { signed_in: false };
    if (!session.signed_in) { showSignin('Sign in to the legacy app to chat.'); return; }
    var exchange = await fetch('/api/v2/auth/token', { method: 'POST', credentials: 'same-origin' });
    if (exchange.status !== 200) { showSignin('Could not get a chat token: ' + (await problemText(exchange))); return; }
    token = (await exchange.json()).access_token;
    await showChat(session.name);
  }

  async function login(event) {
    event.preventDefault();
    signinError('');
    status('Signing in...');
    var res = await fetch('/api/v1/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: $('username').value, password: $('password').value })
    });
    if (res.status === 401) {
      signinError('Wrong user name or password.');
      status('');
      $('password').value = '';
      $('password').focus();
      return;
    }
    if (res.status !== 200) { signinError('Sign-in failed: ' + (await problemText(res))); status(''); return; }
    await start();
  }

  async function signOut() {
    status('Signing out...');
    if (token) {
      await fetch('/api/v2/auth/logout', { method: 'POST', headers: { authorization: 'Bearer ' + token } }).catch(function () {});
    }
    await fetch('/api/v1/logout', { method: 'POST', credentials: 'same-origin' }).catch(function () {});
    showSignin('Signed out.');
  }

  // One SSE event block ("event: x\ndata: {...}") -> {event, data}; comment lines (": keep-alive") are skipped.
  function parseBlock(block) {
    var event = 'message';
    var data = [];
    block.split(/\r?\n/).forEach(function (line) {
      if (line.indexOf('event:') === 0) event = line.slice(6).trim();
      else if (line.indexOf('data:') === 0) data.push(line.slice(5).replace(/^ /, ''));
    });
    return data.length ? { event: event, data: JSON.parse(data.join('\n')) } : null;
  }

  async function send(event) {
    event.preventDefault();
    var text = $('message').value.trim();
    if (!text || busy) return;
    busy = true;
    $('message').value = '';
    $('send').disabled = true;
    addMessage('user', text);
    var out = addMessage('assistant', '');
    status('Thinking...');
    try {
      var res = await fetch('/api/v2/chat', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: 'Bearer ' + token },
        body: JSON.stringify({ message: text })
      });
      if (!res.ok || !res.body) {
        status('Error: ' + (await problemText(res)));
        return;
      }
      var reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      var buffer = '';
      for (;;) {
        var step = await reader.read();
        if (step.done) break;
        buffer += step.value;
        var blocks = buffer.split(/\r?\n\r?\n/);
        buffer = blocks.pop();
        blocks.forEach(function (b) {
          var ev = parseBlock(b);
          if (!ev) return;
          if (ev.event === 'delta') { out.textContent += ev.data.text; status('Streaming...'); }
          else if (ev.event === 'done') status('Done (' + ev.data.model + ').');
          else if (ev.event === 'error') status('Error: ' + ev.data.detail);
        });
      }
    } catch (err) {
      status('Error: ' + err.message);
    } finally {
      busy = false;
      $('send').disabled = false;
      $('message').focus();
    }
  }

  // Enter sends, as in any chat; Shift+Enter keeps the textarea's newline. Not while an IME is composing
  // (isComposing): there Enter confirms the composed text.
  function onKey(event) {
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    $('chat-form').requestSubmit();
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('login-form').addEventListener('submit', login);
    $('chat-form').addEventListener('submit', send);
    $('message').addEventListener('keydown', onKey);
    $('signout').addEventListener('click', signOut);
    start().catch(function (err) { status('Error: ' + err.message); });
  });
})();
`;
