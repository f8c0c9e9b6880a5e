# Every image of the platform, built with uv from the workspace lock file. One file, because
# the five images differ only in the package installed and the command run; build context is
# the repository root:
#
#   docker build -f deploy/service.Dockerfile --build-arg SERVICE=otp -t account-platform/otp .
#   docker build -f deploy/service.Dockerfile --build-arg SERVICE=gateway --target gateway \
#       -t account-platform/gateway .
#   docker build -f deploy/service.Dockerfile --target migrate -t account-platform/migrate .
#
# Targets: `nameko` (the default: accounts, otp, verification or recovery, by SERVICE),
# `gateway` (SERVICE=gateway) and `migrate` (no SERVICE: it installs every migrated service).
ARG PYTHON_IMAGE=python:3.11-slim

# --- uv and the lock file, shared by every build stage ------------------------------------
FROM ${PYTHON_IMAGE} AS uv
ENV UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock ./

# --- build: one workspace package (SERVICE) and its locked dependencies into /app/.venv -----
FROM uv AS build
ARG SERVICE
# Third-party dependencies first (their layer survives code changes) ...
RUN test -n "${SERVICE}" || { echo "--build-arg SERVICE=<service> is required" >&2; exit 1; } \
    && uv sync --frozen --no-dev --no-install-workspace --package "${SERVICE}"
# ... then the workspace sources and the workspace packages themselves (the gateway depends
# on contracts only: servicekit is not installed there).
COPY libs/ libs/
COPY services/ services/
RUN uv sync --frozen --no-dev --package "${SERVICE}" \
    && python -m compileall -q libs "services/${SERVICE}"

# The migrations image (compose service "migrate", Kubernetes Job "migrate"): alembic loads each
# service's models from its migrations/env.py, so accounts, verification and recovery are all
# installed here; servicekit (which holds servicekit.migrate) comes with them.
FROM uv AS build-migrate
RUN uv sync --frozen --no-dev --no-install-workspace \
    --package accounts --package verification --package recovery
COPY libs/ libs/
COPY services/ services/
RUN uv sync --frozen --no-dev --package accounts --package verification --package recovery \
    && python -m compileall -q libs services/accounts services/verification services/recovery

# --- runtime: no uv, no build tools, a non-root user ------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# gunicorn 27 opens its control socket under ~/.gunicorn/, so the user has a writable home.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app app
ENV PATH=/app/.venv/bin:$PATH \
    VIRTUAL_ENV=/app/.venv \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PSYCOPG_WAIT_FUNC=wait_select

FROM runtime AS migrate
COPY --from=build-migrate /app /app
WORKDIR /app
USER 10001:10001
CMD ["python", "-m", "servicekit.migrate", "services/accounts", "services/verification", "services/recovery"]

# --- the public HTTP API (Falcon under gunicorn); build with SERVICE=gateway ----------------
FROM runtime AS gateway
ENV GATEWAY_BIND=0.0.0.0:8080
# GET /metrics on its own port, for the scraper (the API port answers 404 there)
ENV METRICS_PORT=9100 METRICS_HOST=0.0.0.0
COPY --from=build /app /app
WORKDIR /app/services/gateway
USER 10001:10001
EXPOSE 8080 9100
# Liveness of the process only (/api/v1/health): /api/v1/ready depends on every service and
# belongs to whoever watches the whole platform, not to this container. The port follows
# GATEWAY_BIND; urlopen raises (exit 1) on a refused connection or a non-2xx answer.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ.get('GATEWAY_BIND', '0.0.0.0:8080').rsplit(':', 1)[1]; urllib.request.urlopen(f'http://127.0.0.1:{port}/api/v1/health', timeout=4)"]
CMD ["gunicorn", "-c", "gunicorn.conf.py"]

# --- a Nameko service (last stage, so it is the default target) -----------------------------
FROM runtime AS nameko
ARG SERVICE
# Kept in the environment because an exec-form CMD cannot read a build argument; the shell
# only expands the name and then `exec`s nameko, which so receives the stop signals itself.
ENV NAMEKO_SERVICE=${SERVICE}
COPY --from=build /app /app
WORKDIR /app/services/${SERVICE}
USER 10001:10001
CMD ["/bin/sh", "-c", "exec nameko run --config config.yml \"${NAMEKO_SERVICE}.service\""]
