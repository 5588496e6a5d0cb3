# syntax=docker/dockerfile:1
# PeerLoop's container image (docs/operations.md). Two stages: the first builds PeerLoop's
# wheel and the wheels of its dependencies; the runtime stage installs them without a
# compiler or network, and runs as an unprivileged user.
ARG PYTHON_VERSION=3.12

FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY slack ./slack
COPY bot ./bot
COPY benchmarks ./benchmarks
RUN pip wheel --wheel-dir /wheels .

FROM python:${PYTHON_VERSION}-slim AS runtime
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    HEALTH_PORT=8080
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels /wheels/peerloop-*.whl \
    && groupadd --gid 10001 peerloop \
    && useradd --create-home --uid 10001 --gid 10001 --shell /usr/sbin/nologin peerloop \
    && mkdir -p /app/data && chown peerloop:peerloop /app/data
WORKDIR /app
USER 10001:10001
# /app/data holds the SQLite database when DATABASE_URL is not set (compose uses PostgreSQL).
VOLUME ["/app/data"]
# The health and metrics endpoint (/healthz, /metrics); Slack HTTP mode serves them on
# SLACK_HTTP_PORT (3000) instead.
EXPOSE 8080 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["peerloop", "health"]
CMD ["peerloop", "run"]
