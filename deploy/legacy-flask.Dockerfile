# syntax=docker/dockerfile:1
#
# The example legacy Flask app (examples/legacy-flask/) under gunicorn, for docker-compose.yml's demo stack.
# Built from the repository root so examples/ stays untouched:
#
#   docker build -f deploy/legacy-flask.Dockerfile -t figway-legacy:dev .
#
# deploy/legacy-flask.Dockerfile.dockerignore (BuildKit reads the ignore file named after the Dockerfile) keeps
# the context down to examples/legacy-flask.
FROM python:3.12-slim-bookworm

# No .pyc files on a read-only layer, and logs unbuffered so `docker logs` shows them as they happen.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY examples/legacy-flask/requirements.txt ./
RUN pip install -r requirements.txt
COPY examples/legacy-flask/ ./

# A user of its own, by number, so it can't write to the app's files (owned by root) and runAsNonRoot could
# verify it if this ever ran in Kubernetes.
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin legacy
USER 10001:10001

EXPOSE 5000
# gunicorn.conf.py binds 127.0.0.1 (right for the tests, which share one host); in a container that would be
# unreachable from the gateway's container. Command-line settings override the config file, so --bind is
# the only change. Worker heartbeat files go to /dev/shm (tmpfs) rather than the container's disk.
CMD ["gunicorn", "-c", "gunicorn.conf.py", "--bind", "0.0.0.0:5000", "--worker-tmp-dir", "/dev/shm", "app:app"]

# /api/health answers without a session. python's urllib, since the slim image has no curl.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=5 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:5000/api/health', timeout=2).status == 200 else 1)"]
