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
ENTRYPOINT ["node", "dist/main.js"]
