# syntax=docker/dockerfile:1
# NetSentinel real-time gateway (apps/gateway). Multi-stage: build with dev tools, run as non-root
# on a supported Node.js LTS with the gateway's production dependencies only (no sources, no tests,
# no other workspace's dependencies: see deploy/docker/runtime-tree.sh).
#
#   docker build -t ns-gateway .
#   docker run -p 8080:8080 -e NS_JWT_SECRET=... -e NS_PUBLISH_KEYS=... ns-gateway
#
# The image listens on 0.0.0.0, so the gateway refuses to start until auth is configured
# (NS_JWT_SECRET or NS_JWT_PUBLIC_KEY_FILE), or NS_AUTH=none is set explicitly for a trusted network.

# Node.js 22 LTS (24 also supported). The code is also tested on Node 20.
ARG NODE_VERSION=22

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json turbo.json tsconfig.base.json ./
COPY packages ./packages
COPY apps ./apps
COPY schemas ./schemas
RUN npm ci --no-audit --no-fund
# The gateway and every workspace package it depends on (turbo's `...` suffix).
RUN npx turbo run build --filter=@ns/gateway...
COPY deploy/docker/runtime-tree.sh /usr/local/bin/runtime-tree.sh
RUN sh /usr/local/bin/runtime-tree.sh /src /app

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    NS_HOST=0.0.0.0 \
    NS_PORT=8080
WORKDIR /app
# Same layout as the repository: node_modules/@ns/* are relative links into packages/, and the
# gateway finds public/ and the generated schemas/ relative to itself.
COPY --from=build /app ./
USER node
EXPOSE 8080
# Liveness only; readiness (engine connected, not draining) is GET /readyz for the orchestrator.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "const h=process.env.NS_HOST;const host=!h||h==='0.0.0.0'||h==='::'?'127.0.0.1':h;fetch(`http://${host.includes(':')?`[${host}]`:host}:${process.env.NS_PORT||8080}/healthz`).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM drains (notice, close 1001, flush) within NS_SHUTDOWN_GRACE_S (10): keep the orchestrator's
# stop timeout above it (docker stop -t 15; Kubernetes' default 30 s is fine).
STOPSIGNAL SIGTERM
CMD ["node", "apps/gateway/dist/cli.js", "start"]
