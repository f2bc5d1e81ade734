#!/bin/sh
# Wait for the database, apply migrations when asked (the web service does), then run the command.
set -e
python manage.py wait_for_db --timeout "${DB_WAIT_TIMEOUT:-60}"
if [ "${RUN_MIGRATIONS:-0}" = "1" ]; then
    python manage.py migrate --noinput
    if [ -n "${SUPERUSER_EMAIL:-}" ] && [ -n "${SUPERUSER_PASSWORD:-}" ]; then
        python manage.py ensure_superuser
    fi
fi
exec "$@"
