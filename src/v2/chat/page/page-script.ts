/**
 * The /chat page's script, served as a same-origin file (/chat/app.js) so `script-src 'self'` allows it.
 * Signs in on the legacy app if needed (POST /api/v1/login), exchanges the legacy session for a v2 access token
 * (POST /api/v2/auth/token), shows the history, and streams replies with fetch + a ReadableStream reader: an
 * EventSource cannot POST.
 */
export const CHAT_PAGE_JS = String.raw`'use strict';
(function () {
  var token = null;
  var $ = function (id) { return document.getElementById(id); };
  var status = function (text) { $('status').textContent = text; };

  function addMessage(role, text) {
    var li = document.createElement('li');
    li.className = 'msg ' + role;
    var who = document.createElement('strong');
    who.textContent = role === 'user' ? 'You: ' : 'Assistant: ';
    var body = document.createElement('span');
    body.className = 'text';
    body.textContent = text;
    li.appendChild(who);
    li.appendChild(body);
    $('messages').appendChild(li);
    return body;
  }

  async function exchange() {
    var res = await fetch('/api/v2/auth/token', { method: 'POST', credentials: 'same-origin' });
    if (res.status !== 200) return false;
    token = (await res.json()).access_token;
    return true;
  }

  async function showChat() {
    $('signin').hidden = true;
    $('chat').hidden = false;
    var res = await fetch('/api/v2/chat/history', { headers: { authorization: 'Bearer ' + token } });
    if (res.ok) {
      var body = await res.json();
      $('messages').textContent = '';
      body.messages.forEach(function (m) { addMessage(m.role, m.content); });
    }
    status('Ready.');
  }

  async function login(event) {
    event.preventDefault();
    status('Signing in...');
    var res = await fetch('/api/v1/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: $('username').value, password: $('password').value })
    });
    if (res.status !== 200) { status('Sign-in failed.'); return; }
    if (!(await exchange())) { status('Token exchange failed.'); return; }
    await showChat();
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
    if (!text) return;
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
        var problem = await res.json().catch(function () { return {}; });
        status('Error: ' + (problem.detail || res.status));
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
      $('send').disabled = false;
    }
  }

  document.addEventListener('DOMContentLoaded', async function () {
    $('login-form').addEventListener('submit', login);
    $('chat-form').addEventListener('submit', send);
    if (await exchange()) await showChat();
    else { $('signin').hidden = false; status('Sign in to the legacy app to chat.'); }
  });
})();
`;
