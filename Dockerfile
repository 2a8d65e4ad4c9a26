# Service image for the claim gateway.
# Build:  docker build -t gateway .
# Here (no Docker engine) see container-build.md in shared/: podman build with
# --build-arg PIP_CERT=<CA bundle mounted into the build>.
FROM debian:bookworm-slim

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*

RUN python3 -m venv /opt/gateway

# The service runs as an unprivileged user; its state lives on the /data volume.
RUN useradd --create-home --user-group --uid 10001 --shell /usr/sbin/nologin app \
 && mkdir -p /data \
 && chown app:app /data

# A CA bundle path for pip, for builds behind a TLS-inspecting proxy. Unset in normal
# builds; the certificate itself is mounted into the build, never copied into the image.
ARG PIP_CERT
COPY . /tmp/src
RUN if [ -n "${PIP_CERT:-}" ]; then export PIP_CERT; else unset PIP_CERT; fi \
 && /opt/gateway/bin/pip install --no-cache-dir --disable-pip-version-check /tmp/src \
 && rm -rf /tmp/src

ENV PATH=/opt/gateway/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    GATEWAY_DATA_DIR=/data \
    GATEWAY_DATABASE__URL=sqlite:////data/gateway.db

VOLUME ["/data"]
WORKDIR /data
USER app

# Healthy while `gateway run` keeps its heartbeat in the database fresh.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["gateway", "health"]

ENTRYPOINT ["gateway"]
CMD ["run"]
