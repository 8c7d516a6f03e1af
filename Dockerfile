# syntax=docker/dockerfile:1
# The platform image: the scheduled jobs (churn train/score, crm-sync's daily run, the campaign planner), each a
# `node --import tsx <script>` from the repo root (infra/src/scheduled-job.ts tsxCommand). Built from the repo root:
#   docker build --platform linux/amd64 -t peak-platform .
# Stage 1, the same in every Dockerfile of the repo up to its last step (one builder caches npm ci for all of them):
# the committed lock installed, then scripts/build-image.ts writes what the image ships to /out.
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /src
# Manifests first: the npm ci layer is reused until one of them or the lock changes.
COPY package.json package-lock.json ./
COPY libs/contracts/package.json libs/contracts/
COPY libs/service-kit/package.json libs/service-kit/
COPY libs/local-stack/package.json libs/local-stack/
COPY libs/lake/package.json libs/lake/
COPY libs/analytics/package.json libs/analytics/
COPY libs/churn/package.json libs/churn/
COPY services/ingest/package.json services/ingest/
COPY services/etl/package.json services/etl/
COPY services/leaderboard/package.json services/leaderboard/
COPY services/crm-sync/package.json services/crm-sync/
COPY services/notifier/package.json services/notifier/
COPY tools/sample-data/package.json tools/sample-data/
COPY tools/hubspot-sandbox/package.json tools/hubspot-sandbox/
COPY tools/ses-sandbox/package.json tools/ses-sandbox/
COPY tools/sql-sandbox/package.json tools/sql-sandbox/
COPY tools/local-platform/package.json tools/local-platform/
COPY tools/new-dataset/package.json tools/new-dataset/
COPY infra/package.json infra/
COPY dashboard/package.json dashboard/
# Exactly the lock; no install scripts (nothing built needs one: native bindings come as prebuilt packages).
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.base.json ./
COPY scripts/build-image.ts scripts/
COPY libs/ libs/
COPY services/ services/
COPY tools/ tools/
COPY dashboard/ dashboard/
RUN node --import tsx scripts/build-image.ts platform /out

# Stage 2: Node and /out only (no npm, no dev dependency but tsx, no tests), as the image's non-root user.
FROM node:20.20.2-bookworm-slim
# npm, npx, corepack and yarn are not used at run time; removed so scanners and shells do not find them.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /usr/local/bin/npm /usr/local/bin/npx \
      /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
ENV NODE_ENV=production
# The repo's layout, pruned to the jobs' workspaces (their src/), their production dependencies and tsx.
WORKDIR /app
COPY --from=build /out/ ./
USER 1000:1000
# Each job's task definition gives its own command; without one the image prints the churn job's usage.
CMD ["node", "--import", "tsx", "libs/churn/src/cli.ts", "--help"]
