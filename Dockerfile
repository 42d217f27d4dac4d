# syntax=docker/dockerfile:1
#
# Figway gateway image. Three stages so the runtime image carries neither the TypeScript compiler nor the
# sources: `deps` installs everything the build needs, `build` compiles src/ to dist/, `runtime` installs only
# production dependencies and takes dist/ and config/ from the others.
#
#   docker build -t figway:dev .
#   docker run --rm -p 8080:8080 -e LEGACY_URL=http://host.docker.internal:5000 figway:dev
#
# Pinned by Node major and Debian release, not by patch: rebuilding picks up Node and OS security fixes. Node 24
# is the current LTS line; Node 20 reached end of life on 2026-04-30 and gets no more security releases, so a
# production image must not run it (package.json's engines still accepts 20.19+ for development, and .ci/run tests
# on both). Pin a digest in CI if builds must be bit-for-bit reproducible. The slim variant has no curl or wget,
# hence the node-based HEALTHCHECK below.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# Manifests alone first: the `npm ci` layer is reused until a dependency changes, not on every source edit.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund

FROM deps AS build
# tsconfig.build.json extends tsconfig.json, so both are needed; it compiles src/ (specs excluded) into dist/.
# scripts/build.mjs is what `npm run build` runs (tsc into a fresh directory, then renamed to dist/); it bundles
# the migration console (console/, with esbuild, scripts/build-console.mjs) into dist/console/assets/ as well.
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs scripts/build-console.mjs ./scripts/
COPY src ./src
COPY console ./console
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
# Frameworks and npm skip dev-only behaviour with it; the gateway's own schema ignores it.
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# A fresh production-only install rather than pruning the build stage's node_modules: nothing built for the
# compiler (or left behind by it) reaches the runtime image.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
# The default route table (ROUTES_FILE=config/routes.yaml, relative to /app). Kubernetes mounts its own copy
# from a ConfigMap instead; see k8s/configmap.yaml.
COPY config ./config
# Everything above stays owned by root and so read-only for the process: a compromised gateway cannot rewrite
# its own code or config. The `node` user of the base image, by number: Kubernetes' runAsNonRoot can only
# verify a numeric user.
USER 1000:1000
EXPOSE 8080
# The gateway's graceful shutdown (readiness fails, SHUTDOWN_DELAY_MS, drain, SHUTDOWN_GRACE_MS) starts on
# SIGTERM. It is Docker's default already; said here so nobody "fixes" it to SIGKILL or SIGINT.
STOPSIGNAL SIGTERM
# Liveness only (/health), not readiness: Docker restarts nothing on its own, and a Redis or legacy outage must
# not mark the container unhealthy. Kubernetes ignores HEALTHCHECK and uses the probes in k8s/deployment.yaml.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node directly as PID 1, not `npm start`: npm would not forward SIGTERM reliably, and `prestart` would hash the sources first.
CMD ["node", "dist/main.js"]
