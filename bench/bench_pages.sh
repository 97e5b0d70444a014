#!/usr/bin/env bash
# Requests per second for a topic page under gunicorn (2 workers), SQLite, with
# the corpus imported. Needs wrk (apt-get install wrk). Traffic stays on 127.0.0.1.
# Usage: bash bench/bench_pages.sh [DURATION_SECONDS] [PATH]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
DURATION=${1:-10}
URL_PATH=${2:-/topics/simd-support/}
PORT=${BENCH_PORT:-8765}
CORPUS=${CORPUS:-../shared/corpora/pypackaging-native}
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
export KB_ENV=production SECRET_KEY=bench-only-secret-key-not-for-production-use-0123456789 \
    ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=0 DATA_DIR="$WORK" \
    DATABASE_URL="sqlite:///$WORK/db.sqlite3" STATIC_ROOT="$WORK/static" LOG_LEVEL=WARNING
$PY manage.py migrate -v0
$PY manage.py import_mkdocs "$CORPUS" --history "$CORPUS/history.json" -v0 >/dev/null
$PY manage.py collectstatic --noinput -v0
$PY -m gunicorn kb.wsgi:application --bind 127.0.0.1:$PORT --workers 2 --log-level warning &
SERVER=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
curl -sf -o /dev/null "http://127.0.0.1:$PORT$URL_PATH"
echo "wrk: 2 threads, 8 connections, ${DURATION}s, GET $URL_PATH (gunicorn, 2 sync workers, SQLite)"
echo "--- anonymous readers (whole-page cache)"
wrk -t2 -c8 -d"${DURATION}s" --latency "http://127.0.0.1:$PORT$URL_PATH" | tee "$WORK/cached.txt"
echo "--- with a session cookie, as signed-in users (rendered every time)"
wrk -t2 -c8 -d"${DURATION}s" --latency -H "Cookie: sessionid=bench" "http://127.0.0.1:$PORT$URL_PATH" | tee "$WORK/rendered.txt"
echo "topic page, anonymous (cached): $(awk '/Requests\/sec/ {print $2}' "$WORK/cached.txt") requests/s"
echo "topic page, rendered each time: $(awk '/Requests\/sec/ {print $2}' "$WORK/rendered.txt") requests/s"
