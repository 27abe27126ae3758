# syntax=docker/dockerfile:1
# Gatehouse server image: build with the dev toolchain, run with production dependencies only.
#   docker build -t gatehouse .
#   docker run -p 3000:3000 -e DATABASE_URL=... -e REDIS_URL=... -e KEY_ENCRYPTION_SECRET=... gatehouse
# CI tests on Node 20.19+; Node 20 is past upstream support, so the image defaults to Node 22 LTS.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY src ./src
# `npm run build` = prisma generate (the client lands in src/generated) + tsc into dist/.
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    UV_THREADPOOL_SIZE=8 \
    DATA_DIR=/app/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# The compiled server, with the generated Prisma client compiled into dist/generated.
COPY --from=build /app/dist ./dist
# The boot runner applies these (dist/database/migration-runner.js reads ../../prisma/migrations).
COPY prisma/migrations ./prisma/migrations
# Non-root; DATA_DIR is only written by the embedded database (no DATABASE_URL).
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=12 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node itself is PID 1: it receives SIGTERM from `docker stop` and drains (src/main.ts).
CMD ["node", "dist/main.js"]
