# syntax=docker/dockerfile:1
# gemini-chat-bot: multi-stage image on the Node major of package.json "engines" (>=20.12).
#   docker build -t gemini-chat-bot .
#   docker run --env-file .env -p 3000:3000 -v gcb-data:/app/data gemini-chat-bot
# The build and start commands below are exercised without Docker by test/ops/production-start.ts
# (see docs/operations.md).

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false

# sqlite3 (the embedded store) is a native module; without a matching prebuilt binary npm compiles
# it from source, which needs Python, make and a C++ compiler. Only the build stages carry them.
FROM base AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

# Stage 1: compile TypeScript (dev dependencies: typescript) into dist/.
FROM toolchain AS build
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The command definitions the bot registers at start-up (src imports them).
COPY commands ./commands
RUN npm run build

# Stage 2: production dependencies only, native modules built for this exact base image.
FROM toolchain AS production-dependencies
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# Stage 3: what runs. No compiler, no dev dependencies, no sources; a non-root user.
FROM base AS runtime
ENV NODE_ENV=production \
    PORT=3000
COPY --chown=node:node package.json ./
COPY --from=production-dependencies --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# The default STORE_URL (sqlite://./data/gemini-chat-bot.sqlite) lives here; keep it in a volume.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 3000
# slim has no curl: Node's own fetch asks /healthz (process alive). /readyz is for load balancers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM starts the graceful shutdown (SHUTDOWN_GRACE_MS, default 20 s): give the container
# at least 30 s to stop (docker stop -t 30, compose stop_grace_period, Kubernetes
# terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js"]
