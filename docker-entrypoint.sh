#!/bin/sh
# Wait for the database, then run the command. `migrate` as the command applies the migrations (and ensures
# the superuser when SUPERUSER_EMAIL and SUPERUSER_PASSWORD are set) and exits: the one-shot `migrate` service
# of docker-compose.yml and the Job of deploy/k8s. RUN_MIGRATIONS=1 does the same before any other command,
# for a single container run by hand (docs/operations.md).
set -e

migrate() {
    python manage.py migrate --noinput
    if [ -n "${SUPERUSER_EMAIL:-}" ] && [ -n "${SUPERUSER_PASSWORD:-}" ]; then
        python manage.py ensure_superuser
    fi
}

# Metrics files of a former run of this container would be counted again: start from an empty folder.
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    rm -rf "${PROMETHEUS_MULTIPROC_DIR:?}"/* 2>/dev/null || true
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi

python manage.py wait_for_db --timeout "${DB_WAIT_TIMEOUT:-60}"
if [ "${1:-}" = "migrate" ]; then
    migrate
    exit 0
fi
if [ "${RUN_MIGRATIONS:-0}" = "1" ]; then
    migrate
fi
exec "$@"
