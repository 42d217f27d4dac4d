import os

bind = f"127.0.0.1:{os.environ.get('PORT', '5000')}"
worker_class = "gthread"
workers = 1
# Streams, slow requests and WebSockets each hold a thread for their lifetime.
threads = 32
# Long-lived streams and sockets would otherwise hold a shutdown for 30 s.
graceful_timeout = 3
accesslog = "-" if os.environ.get("ACCESS_LOG") else None
loglevel = os.environ.get("LOG_LEVEL", "info")
# gunicorn 26 opens a control socket at ~/.gunicorn/gunicorn.ctl by
# default; parallel test servers would fight over that one path.
control_socket_disable = True
# Behind a gateway the connection is reused for many clients: keep it open longer than the gateway's pool
# keeps idle sockets (4 s), so the gateway closes first and never writes on a socket gunicorn already closed.
keepalive = 75
