# Ferroscout container image.
#   docker build -t ferroscout .
#   docker run -d -p 1337:1337 -v ferroscout-data:/data \
#     -e API_SECRET='this is my long pass phrase' -e INSECURE_USE_HTTP=false ferroscout
# Three stages: the dashboard (node), the binary (rust, dependencies cached in their own layer),
# and a small runtime (distroless, glibc, no shell, non-root).

# 1. The dashboard. With a Vite project in frontend/ it is built; otherwise the static page is used.
FROM node:22-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/ ./
RUN if [ -f package.json ]; then npm ci --no-audit --no-fund && npm run build; \
    else mkdir -p dist && cp index.html dist/; fi

# 2. The binary.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Dependencies first, against empty sources: this layer is reused until Cargo.toml/Cargo.lock change.
COPY Cargo.toml Cargo.lock ./
# Cargo checks that every target Cargo.toml names explicitly ([[bench]]) exists, even unbuilt.
COPY benches/ benches/
# The patched crates Cargo.toml's [patch.crates-io] points at (vendor/README.md).
COPY vendor/ vendor/
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src
# build.rs* matches nothing until the dashboard embedding lands; Cargo.toml keeps the COPY valid.
COPY Cargo.toml build.rs* ./
COPY src/ src/
COPY frontend/ frontend/
COPY --from=frontend /src/frontend/dist/ /src/frontend-dist/
# build.rs embeds this already built dashboard instead of running npm itself.
ENV FERROSCOUT_FRONTEND_DIST=/src/frontend-dist
# COPY keeps the context's old mtimes: touch so cargo rebuilds our crate over the placeholder.
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked \
    && cp target/release/ferroscout /ferroscout \
    && mkdir -p /data

# 3. Runtime: glibc + libgcc only, user nonroot (65532).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /ferroscout /usr/local/bin/ferroscout
COPY --from=build --chown=65532:65532 /data /data
# The embedded SQLite store lives in the /data volume (unused when MONGODB_URI is set).
ENV FERROSCOUT_DATA_DIR=/data
# Docker sets HOSTNAME to the container id, which Ferroscout (like Nightscout) would bind to;
# listen on every interface instead. PORT is deliberately not set here: PORT, then WEBSITES_PORT
# (Azure App Service for Linux) are read at run time, and the default is 1337.
ENV HOSTNAME=0.0.0.0
VOLUME ["/data"]
EXPOSE 1337
USER 65532:65532
STOPSIGNAL SIGTERM
# GET /health on the local server (answered over plain http even when https is forced).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/ferroscout", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/ferroscout"]
