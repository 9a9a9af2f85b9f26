# The operator image. Build: `docker build -t dittofs-operator:0.1.0 .` (tag = src/version.ts).
# Not built in this repository's CI (no container engine there); see docs/install.md.

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Scripts stay on: the `node` dev dependency installs the Node 24 that runs tsc.
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm ci --omit=dev --ignore-scripts

# Slim Node 24 runtime with only production dependencies and the compiled JavaScript.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
USER 65532:65532
# Nothing is written to disk: logs go to stdout, so a read-only root filesystem works.
# Heap sized for the pod (docs/benchmarks.md): young generation capped at 2 MiB per semi-space (V8's default lets it
# grow to 16: at N=1000 the peak RSS went from 263 to 205 MiB), old space at 60 % of the container's memory limit
# (Node reads the cgroup; by default it would size the heap above a 256Mi limit and be OOM-killed instead of
# collecting garbage). Optimising tiers up to Maglev only (`--max-opt=2`): Turbofan's compiler pages and zones cost
# 5–7 MiB of RSS and the operator's hot paths run as fast without it (docs/benchmarks.md, "Memory"). The scale bench
# runs the operator with these same flags.
ENTRYPOINT ["node", "--max-semi-space-size=2", "--max-old-space-size-percentage=60", "--max-opt=2", "dist/main.js"]
