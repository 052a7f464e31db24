# syntax=docker/dockerfile:1
# One image for the tracker's worker (the default command), the webhook receiver, the AirOps simulator and the
# `airops` CLI; the command picks the role:
#   docker run … airops-temporal:0.2.0                                   the worker (dist/worker/main.js)
#   docker run … airops-temporal:0.2.0 node dist/webhooks/main.js        the webhook receiver
#   docker run … airops-temporal:0.2.0 node dist/simulator/main.js       the simulator
#   docker run … airops-temporal:0.2.0 node bin/airops.mjs list          the CLI
# Compiled JavaScript only (no tsx, no TypeScript, no dev dependencies at run time), run as the unprivileged
# `node` user. test/deploy/dockerfile-build.test.ts performs these steps outside Docker and runs the result.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# ---- production dependencies -----------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY deploy/image-manifest.mjs ./deploy/image-manifest.mjs
# @temporalio/* are peer dependencies of the package, owned by the app that runs it: this image is that app
# (deploy/image-manifest.mjs makes them production dependencies here, at the versions of the lock).
RUN node deploy/image-manifest.mjs && npm install --package-lock-only --ignore-scripts --no-audit --no-fund
# Install scripts stay off (package.json "allowScripts"): the native parts (Temporal's core bridge, swc) ship as
# prebuilt binaries inside their packages.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
# The core bridge carries binaries for five platforms: keep this one's.
RUN keep="$(uname -m)-unknown-linux-gnu"; releases=node_modules/@temporalio/core-bridge/releases; \
  if [ -d "$releases/$keep" ]; then find "$releases" -mindepth 1 -maxdepth 1 ! -name "$keep" -exec rm -rf {} +; fi

# ---- compile TypeScript to dist/ -------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json index.ts ./
COPY olostep ./olostep
COPY workflows ./workflows
COPY activities ./activities
COPY worker ./worker
COPY client ./client
COPY webhooks ./webhooks
COPY simulator ./simulator
COPY demo ./demo
COPY scripts/temporal-servers.ts ./scripts/temporal-servers.ts
RUN npm run build

# ---- runtime ---------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY deploy/healthcheck.mjs ./deploy/healthcheck.mjs
# The code stays root-owned (read-only for the process); only the results directory and the webhook journal's
# are the node user's.
RUN mkdir -p results /var/lib/airops/webhook-journal && chown node:node results /var/lib/airops/webhook-journal
USER node
# 9464: the worker's Prometheus endpoint (METRICS_ADDRESS=0.0.0.0:9464); 8788: the webhook receiver; 8787: the
# simulator.
EXPOSE 9464 8788 8787
# Probes $HEALTHCHECK_URL, else the worker's METRICS_ADDRESS; a container with neither (the CLI) has nothing to probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["node", "deploy/healthcheck.mjs"]
CMD ["node", "dist/worker/main.js"]
