# syntax=docker/dockerfile:1
# One image for the control plane, the sidecar proxy and the init container (like Istio's proxyv2):
# the entrypoint is the `skein` CLI. Build: docker build -t ghcr.io/skein-mesh/skein:<version> .
ARG NODE_VERSION=22

# ---- build: dev dependencies (protobuf generation, TypeScript), the native addon toolchain ----
FROM node:${NODE_VERSION}-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# gen (Envoy protos) → tsc → node scripts/build-addon.js (SO_ORIGINAL_DST addon, built for this image's Node)
# → node scripts/build-cni.js (the static skein-cni plugin the CNI agent installs on nodes)
RUN npm run build \
 && node scripts/build-addon.js \
 && test -f proxy/native/build/Release/skein_orig_dst.node \
 && test -x cni/native/build/skein-cni \
 && npm prune --omit=dev --no-audit --no-fund \
 && chmod +x dist/cli/src/main.js \
 && mkdir -p bin && ln -sf ../dist/cli/src/main.js bin/skein

# ---- runtime: Node LTS slim + iptables/iproute2 for `skein init-network` and `skein cni agent` (nsenter: util-linux) ----
FROM node:${NODE_VERSION}-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables iproute2 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 1337 skein \
 && useradd --uid 1337 --gid 1337 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin skein
WORKDIR /opt/skein
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/proxy/native/build/Release/skein_orig_dst.node ./proxy/native/build/Release/skein_orig_dst.node
COPY --from=build /src/cni/native/build/skein-cni ./cni/native/build/skein-cni
COPY --from=build /src/bin ./bin
ENV NODE_ENV=production
# `skein` on PATH: the injected proxy's postStart hook runs `skein wait-ready` (injection cliCommand).
ENV PATH=/opt/skein/bin:$PATH
# The proxy's UID/GID (api/src/names.ts ProxyUid): its own traffic is never captured again.
# The init container runs as root through its securityContext (set by the webhook).
USER 1337:1337
ENTRYPOINT ["node", "/opt/skein/dist/cli/src/main.js"]
CMD ["help"]
