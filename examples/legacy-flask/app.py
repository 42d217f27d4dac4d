"""Legacy backend of the "Tavern" AI role-play product.

The monolith that Figway strangles: sessions, chat, a few odd endpoints, and
a WebSocket echo.
"""

import gzip
import hashlib
import hmac
import json
import os
import time

from flask import Flask, Response, abort, jsonify, render_template, request, session
from werkzeug.exceptions import HTTPException
from werkzeug.routing import WebsocketMismatch
from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Message,
    Ping,
    TextMessage,
)
from wsproto.extensions import PerMessageDeflate
from wsproto.utilities import RemoteProtocolError

CHUNK_SIZE = 64 * 1024
MAX_DOWNLOAD = 100 * 1024 * 1024
# Signed-cookie sessions must stay under the ~4 KB browsers accept.
MAX_HISTORY = 20

USERS = {
    "alice": {"user_id": 1, "password": "wonderland"},
    "bob": {"user_id": 2, "password": "builder"},
}

ITEMS = [
    {"id": 1, "name": "Captain Mira Vale", "kind": "character", "genre": "space opera"},
    {"id": 2, "name": "The Whispering Librarian", "kind": "character", "genre": "mystery"},
    {"id": 3, "name": "Tavern at World's End", "kind": "scenario", "genre": "fantasy"},
    {"id": 4, "name": "Noir Detective Pack", "kind": "voice_pack", "genre": "noir"},
]

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "dev-legacy-secret")

if os.environ.get("SESSION_TYPE") == "redis":
    import redis
    from flask_session import Session

    app.config["SESSION_TYPE"] = "redis"
    app.config["SESSION_REDIS"] = redis.Redis.from_url(
        os.environ.get("SESSION_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    Session(app)


def now_ms():
    return int(time.time() * 1000)


def int_arg(name, default, low, high):
    raw = request.args.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400, f"{name} must be an integer")
    if not low <= value <= high:
        abort(400, f"{name} must be between {low} and {high}")
    return value


def json_error(status, error, **extra):
    response = jsonify(error=error, **extra)
    response.status_code = status
    return response


# --- errors ---------------------------------------------------------------


@app.errorhandler(HTTPException)
def http_error(exc):
    if not request.path.startswith("/api"):
        return exc
    # Start from Werkzeug's response so headers such as Allow (405) survive.
    response = exc.get_response()
    response.set_data(
        app.json.dumps({"error": exc.name.lower().replace(" ", "_"), "message": exc.description})
    )
    response.content_type = "application/json"
    return response


@app.errorhandler(WebsocketMismatch)
def websocket_mismatch(exc):
    # Werkzeug routes WebSocket handshakes only to rules declared with
    # websocket=True, and plain requests only to the other rules.
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return json_error(400, "websocket_not_supported")
    return json_error(400, "websocket_upgrade_required")


@app.errorhandler(500)
def internal_error(exc):
    if not request.path.startswith("/api"):
        return "<h1>Internal Server Error</h1>", 500
    return json_error(500, "internal_server_error")


# --- health ---------------------------------------------------------------


@app.get("/api/health")
@app.get("/api/v1/health")
def health():
    return {"status": "ok"}


# --- auth -----------------------------------------------------------------


@app.post("/api/v1/login")
def login():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        data = request.form
    username = data.get("username")
    password = data.get("password")
    user = USERS.get(username) if isinstance(username, str) else None
    if (
        user is None
        or not isinstance(password, str)
        or not hmac.compare_digest(password.encode(), user["password"].encode())
    ):
        return json_error(401, "invalid_credentials")

    session.clear()
    session["user_id"] = user["user_id"]
    session["username"] = username
    session["chat_history"] = [
        {"role": "user", "content": "Hello, who are you tonight?"},
        {"role": "assistant", "content": "I am the innkeeper of the Tavern at World's End."},
    ]
    response = jsonify(user_id=user["user_id"], username=username)
    response.set_cookie("theme", "dark")
    response.set_cookie("lang", "en")
    return response


@app.post("/api/v1/logout")
def logout():
    session.clear()
    return {"status": "logged_out"}


@app.get("/api/v1/me")
def me():
    if "user_id" not in session:
        return json_error(401, "unauthenticated")
    return {"user_id": session["user_id"], "username": session["username"]}


# --- catalogue ------------------------------------------------------------


@app.get("/api/v1/items")
def items():
    return {"items": ITEMS, "query": request.args.to_dict()}


@app.get("/api/v1/search")
def search():
    """Public for 60 s, and the answer depends on the query alone: `first` is
    what request.args.get reads (the first value of each name), `all` every
    value of each name in request order."""
    body = {"first": request.args.to_dict(), "all": request.args.to_dict(flat=False)}
    return body, 200, {"Cache-Control": "public, max-age=60"}


@app.get("/api/v1/etag")
def etag():
    headers = {"ETag": '"v1-items"', "Cache-Control": "public, max-age=30"}
    if request.if_none_match.contains_weak("v1-items"):
        return Response(status=304, headers=headers)
    return {"items": ITEMS}, 200, headers


# --- request inspection ---------------------------------------------------


def read_body(stream):
    """Hash the request body without holding it in memory."""
    digest = hashlib.sha256()
    total = 0
    while True:
        chunk = stream.read(CHUNK_SIZE)
        if not chunk:
            break
        digest.update(chunk)
        total += len(chunk)
    return digest.hexdigest(), total


ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@app.route("/api/v1/echo", methods=ALL_METHODS)
@app.route("/api/v1/echo/<path:rest>", methods=ALL_METHODS)
def echo(rest=None):
    body_sha256, body_bytes = read_body(request.stream)
    environ = request.environ
    # RAW_URI is the request target as gunicorn read it off the wire; the
    # fallback only matters when running under another server.
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.full_path
    return {
        "method": request.method,
        "raw_uri": raw_uri,
        "path": request.path,
        "query_string": request.query_string.decode("latin-1"),
        "headers": {name.lower(): value for name, value in request.headers.items()},
        "body_sha256": body_sha256,
        "body_bytes": body_bytes,
    }


@app.route("/api/v1/upload", methods=["POST", "PUT"])
def upload():
    sha256, size = read_body(request.stream)
    return {"sha256": sha256, "bytes": size}


# --- response shapes ------------------------------------------------------

PATTERN_PERIOD = 251
# Byte i of a download is (i * 31 + 7) % 251, so the pattern repeats every
# 251 bytes and every chunk is a slice of one precomputed tile.
PATTERN_TILE = bytes((i * 31 + 7) % PATTERN_PERIOD for i in range(PATTERN_PERIOD)) * (
    CHUNK_SIZE // PATTERN_PERIOD + 2
)


def pattern_chunks(size):
    offset = 0
    while offset < size:
        length = min(CHUNK_SIZE, size - offset)
        start = offset % PATTERN_PERIOD
        yield PATTERN_TILE[start : start + length]
        offset += length


@app.get("/api/v1/download")
def download():
    size = int_arg("size", 1024 * 1024, 0, MAX_DOWNLOAD)
    return Response(
        pattern_chunks(size),
        mimetype="application/octet-stream",
        headers={"Content-Length": str(size)},
    )


@app.get("/api/v1/stream")
def stream():
    chunks = int_arg("chunks", 5, 0, 1000)
    interval = int_arg("interval_ms", 200, 0, 60000) / 1000

    def generate():
        for i in range(chunks):
            if i:
                time.sleep(interval)
            yield f"chunk {i} {now_ms()}\n"

    return Response(generate(), mimetype="text/plain", headers={"Cache-Control": "no-cache"})


def sse(event, data, event_id=None):
    lines = [] if event_id is None else [f"id: {event_id}"]
    lines += [f"event: {event}", f"data: {json.dumps(data)}"]
    return "\n".join(lines) + "\n\n"


@app.get("/api/v1/events")
def events():
    count = int_arg("count", 5, 0, 1000)
    interval = int_arg("interval_ms", 200, 0, 60000) / 1000

    def generate():
        for i in range(count):
            if i:
                time.sleep(interval)
            yield sse("tick", {"i": i, "t": now_ms()}, event_id=i)

    return Response(
        generate(), mimetype="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


@app.get("/api/v1/status/<int:code>")
def status(code):
    if not 200 <= code <= 599:
        abort(400, "code must be between 200 and 599")
    if code in (204, 304):
        response = Response(status=code)
        del response.headers["Content-Type"]
        return response
    return {"status": code}, code


@app.get("/api/v1/redirect")
def redirect_relative():
    response = jsonify(location="/api/v1/items")
    response.status_code = 302
    response.headers["Location"] = "/api/v1/items"
    return response


@app.get("/api/v1/redirect/absolute")
def redirect_absolute():
    response = jsonify(location="http://example.invalid/elsewhere")
    response.status_code = 301
    response.headers["Location"] = "http://example.invalid/elsewhere"
    return response


@app.get("/api/v1/cookies")
def cookies():
    response = jsonify(cookies=["a", "b", "c"])
    # Written by hand so the exact attribute order (and the comma inside
    # Expires) reaches the wire unchanged.
    response.headers.add("Set-Cookie", "a=1; Path=/")
    response.headers.add("Set-Cookie", "b=2; Path=/; HttpOnly")
    response.headers.add("Set-Cookie", "c=3; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT")
    return response


@app.get("/api/v1/slow")
def slow():
    ms = int_arg("ms", 0, 0, 60000)
    time.sleep(ms / 1000)
    return {"slept_ms": ms}


# --- what the gateway's v2 routes reach on a rollback -----------------------


@app.get("/api/v2/meta")
def meta():
    # The legacy_path of the gateway's /api/v2/meta: a rolled-back gateway
    # answers from here, so a client can tell legacy is serving.
    return {"service": "tavern", "api": "legacy"}


# --- chat -----------------------------------------------------------------


@app.post("/api/chat")
def chat():
    if "user_id" not in session:
        return json_error(401, "unauthenticated")
    data = request.get_json(silent=True) or {}
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, str) or not message.strip():
        return json_error(400, "message_required")

    reply = "Legacy says: " + message
    history = session.get("chat_history", [])
    history += [{"role": "user", "content": message}, {"role": "assistant", "content": reply}]
    # Saved before any streaming starts: the session cookie goes out with
    # the response headers.
    session["chat_history"] = history[-MAX_HISTORY:]

    if "text/event-stream" not in request.headers.get("Accept", ""):
        return {"reply": reply, "conversation_id": "legacy", "model": "legacy"}

    def generate():
        for word in reply.split():
            yield sse("delta", {"text": word + " "})
            time.sleep(0.02)
        yield sse("done", {"conversation_id": "legacy", "model": "legacy"})

    return Response(
        generate(), mimetype="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


@app.get("/api/chat/history")
@app.get("/api/v1/chat/history")
def chat_history():
    if "user_id" not in session:
        return json_error(401, "unauthenticated")
    return {"messages": session.get("chat_history", [])}


# --- pages ----------------------------------------------------------------


@app.get("/")
@app.get("/page")
def page():
    return render_template("index.html", nonce=request.headers.get("X-CSP-Nonce"))


@app.get("/api/v1/csp-demo")
def csp_demo():
    """A legacy page that cannot change: its inline script and style carry no
    nonce (the gateway stamps them), it loads an external script, and it has an
    inline event handler (what an injection looks like; CSP must block it).
    It sends its own loose CSP and an X-Powered-By banner, which the gateway
    replaces and removes. With ?gzip=1 and a client accepting gzip, the body is
    gzip-compressed."""
    body = render_template("csp-demo.html").encode("utf-8")
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": "default-src * 'unsafe-inline'",
        "X-Powered-By": "Flask-legacy",
    }
    if request.args.get("gzip") == "1" and "gzip" in request.headers.get("Accept-Encoding", ""):
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
        headers["Vary"] = "Accept-Encoding"
    return Response(body, 200, headers)


# --- websocket ------------------------------------------------------------


class SocketTakenOver(Response):
    """What a view returns after it has used the raw client socket itself."""

    def __call__(self, environ, start_response):
        # gunicorn's workers take StopIteration from the application as
        # "close this connection without writing anything"; any normal
        # response would put an HTTP status line after the WebSocket close.
        raise StopIteration("connection taken over by the application")


def raw_request_head():
    lines = [f"{request.method} {request.environ.get('RAW_URI') or request.full_path} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in request.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def run_echo(sock, ws, accept):
    try:
        sock.sendall(ws.send(accept))
        while True:
            data = sock.recv(CHUNK_SIZE)
            ws.receive_data(data or None)
            for event in ws.events():
                if isinstance(event, (TextMessage, BytesMessage)):
                    message = Message(data=event.data, message_finished=event.message_finished)
                    sock.sendall(ws.send(message))
                elif isinstance(event, Ping):
                    sock.sendall(ws.send(event.response()))
                elif isinstance(event, CloseConnection):
                    # Already CLOSED when the peer just dropped the TCP
                    # connection: there is nobody left to answer.
                    if ws.state is not ConnectionState.CLOSED:
                        sock.sendall(ws.send(event.response()))
                    return
    except OSError:
        # The peer went away mid-conversation; gunicorn closes the socket.
        return


@app.get("/api/v1/ws", websocket=True)
def websocket_echo():
    ws = WSConnection(ConnectionType.SERVER)
    try:
        ws.receive_data(raw_request_head())
        handshake = next(ws.events())
    except RemoteProtocolError as exc:
        response = json_error(
            getattr(exc.event_hint, "status_code", 400),
            "websocket_upgrade_required",
            message=str(exc),
        )
        for name, value in getattr(exc.event_hint, "headers", []):
            response.headers[name.decode()] = value.decode()
        return response

    sock = request.environ.get("gunicorn.socket")
    if sock is None:
        return json_error(501, "websocket_needs_gunicorn")

    subprotocol = handshake.subprotocols[0] if handshake.subprotocols else None
    run_echo(sock, ws, AcceptConnection(subprotocol=subprotocol, extensions=[PerMessageDeflate()]))
    return SocketTakenOver()
