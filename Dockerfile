# Readout container image.
#
#   podman build --format docker -t readout:latest .     (or: docker build -t readout:latest .)
#
# Two stages on debian:bookworm-slim: the build stage has the -dev packages and
# meson and runs the same build as the README; the runtime stage has only the
# five runtime libraries and the binary, and runs as the non-root user
# "readout" (uid 10001) with the database on the volume /data.
# scripts/test-container builds this file and checks all of that by running it.

# ---------------------------------------------------------------- build stage
FROM debian:bookworm-slim AS build

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential meson ninja-build pkg-config python3 \
      libmicrohttpd-dev libjansson-dev libsqlite3-dev libsodium-dev libpq-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .

# The README's build; the Check test suites are not built into the image.
RUN meson setup build --buildtype=release -Dtests=false \
 && ninja -C build \
 && install -D -m 0755 -s build/readoutd /out/readoutd

# -------------------------------------------------------------- runtime stage
FROM debian:bookworm-slim

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libmicrohttpd12 libjansson4 libsqlite3-0 libsodium23 libpq5 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb

# The user and the data directory exist before VOLUME, so a new volume is
# created owned by readout.
RUN groupadd --system --gid 10001 readout \
 && useradd --system --uid 10001 --gid readout --home-dir /data \
      --no-create-home --shell /usr/sbin/nologin readout \
 && mkdir -p /data \
 && chown readout:readout /data \
 && chmod 0750 /data

COPY --from=build /out/readoutd /usr/local/bin/readoutd

ENV READOUT_BIND=0.0.0.0 \
    READOUT_PORT=8080 \
    READOUT_DB=/data/readout.db

USER readout:readout
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080

# The binary asks itself: GET /readyz on 127.0.0.1:$READOUT_PORT, exit 0 or 1.
# No shell, curl or wget needed in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["readoutd", "healthcheck"]

# readoutd finishes in-flight requests, closes the database and exits 0.
STOPSIGNAL SIGTERM

ENTRYPOINT ["readoutd"]
