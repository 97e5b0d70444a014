#!/bin/sh
# Production start-up, run by the Dockerfile and by tests/test_deploy.py:
# migrate, collect static files, then hand the process over to gunicorn.
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"

"$PYTHON" manage.py check --deploy --fail-level ERROR
"$PYTHON" manage.py migrate --noinput
"$PYTHON" manage.py collectstatic --noinput --verbosity 0

exec "$PYTHON" -m gunicorn kb.wsgi:application \
    --bind "${BIND:-0.0.0.0:${PORT:-8000}}" \
    --workers "${WEB_CONCURRENCY:-2}" \
    --timeout "${GUNICORN_TIMEOUT:-30}" \
    --access-logfile - \
    --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}"
