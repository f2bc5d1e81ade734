# syntax=docker/dockerfile:1

# Both stages start from the same base image, pinned by digest (the multi-platform index of the official
# python:3.11-slim, Debian 13 "trixie", Python 3.11.17), so a rebuild gets the same bytes until someone chooses
# to move. To refresh it (for security fixes, monthly or so), read the tag's current digest and replace it in
# both FROM lines:
#   docker buildx imagetools inspect python:3.11-slim --format '{{json .Manifest.Digest}}'
# (or docker pull python:3.11-slim && docker inspect --format '{{index .RepoDigests 0}}' python:3.11-slim),
# then rebuild and run the test suite. docker-compose.yml pins postgres and redis the same way.

# --- build: compile wheels for every dependency --------------------------------------------
FROM python:3.11-slim@sha256:0dd364ba7e10242f07755449e3a3d0e35f9efd987952737b90def6709ab0c5ce AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update && apt-get install -y --no-install-recommends build-essential && rm -rf /var/lib/apt/lists/*
COPY requirements.txt /tmp/requirements.txt
RUN pip wheel --wheel-dir /wheels -r /tmp/requirements.txt

# --- runtime: slim; the code belongs to root and is read-only to the app's user -----------------
FROM python:3.11-slim@sha256:0dd364ba7e10242f07755449e3a3d0e35f9efd987952737b90def6709ab0c5ce AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    PORT=8000 \
    HOME=/tmp \
    PROMETHEUS_MULTIPROC_DIR=/run/prometheus
# A fixed numeric id, so that Kubernetes can check runAsNonRoot without reading /etc/passwd.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links=/wheels /wheels/* && rm -rf /wheels
WORKDIR /app
# No --chown: root owns the code, the app's user may read it but not change it. What is copied is the
# allow-list of .dockerignore.
COPY . /app
# collectstatic needs settings but no secrets of the deployment: throwaway values, this step only. The
# bytecode is compiled here, as the app's user cannot write it next to the code.
RUN DJANGO_SECRET_KEY=collectstatic-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz \
    DJANGO_ALLOWED_HOSTS=localhost REDIS_URL=redis://localhost:6379/0 OAUTH_JWT_PRIVATE_KEY=collectstatic-only \
    PROMETHEUS_MULTIPROC_DIR= \
    python manage.py collectstatic --noinput \
    && python -m compileall -q /app \
    && chmod -R a-w,a+rX /app \
    && install -d -o app -g app -m 0750 /app/media /run/prometheus
# The only places the app writes: /app/media (a volume: uploads and exports, without object storage),
# /run/prometheus (metrics of the processes, emptied at each start by docker-entrypoint.sh) and /tmp
# (beat's schedule and heartbeat). The root filesystem may be mounted read-only (deploy/k8s does).
USER 10001:10001
EXPOSE 8000
# One image, five roles: HEALTHCHECK_ROLE (web, events, worker, beat, flower) picks the check; Compose and
# Kubernetes name the role of each service (config/healthcheck.py).
ENV HEALTHCHECK_ROLE=web
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-m", "config.healthcheck"]
ENTRYPOINT ["/app/docker-entrypoint.sh"]
# Workers, threads, keep-alive and timeouts: config/gunicorn.conf.py (tuned by PORT, WEB_CONCURRENCY, GUNICORN_THREADS).
CMD ["gunicorn", "config.wsgi:application", "--config", "config/gunicorn.conf.py"]
