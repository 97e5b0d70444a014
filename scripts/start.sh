#!/bin/sh
# Production start-up, run by the Dockerfile and by tests/test_deploy.py:
# migrate, collect static files, then serve on BIND (default 0.0.0.0:$PORT).
# migrate_locked is Django's migrate under a PostgreSQL advisory lock, so several
# containers starting together on one fresh database migrate it once; it waits up to
# KB_DATABASE_WAIT seconds (default 30) for a database server that is still starting.
#
# KB_FRONT=nginx (the default): nginx listens on BIND and reads every request
# whole before gunicorn sees it (deploy/nginx.conf says why); gunicorn listens
# on a unix socket in a private folder that only nginx reaches. This script
# stays in the foreground: SIGTERM stops nginx (finishing requests in flight)
# and then gunicorn; if either dies, the other is stopped and the script exits
# non-zero, so the container stops too.
# KB_FRONT=none: gunicorn listens on BIND itself, for a load balancer that
# already buffers whole requests and responses.
# KB_HTTP_CACHE=varnish (with the nginx front): Varnish between nginx and gunicorn,
# on 127.0.0.1:KB_VARNISH_PORT, a shared cache of the pages anonymous readers get,
# which gunicorn purges by tag on every content change (deploy/varnish.vcl).
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"
FRONT="${KB_FRONT:-nginx}"
BIND="${BIND:-0.0.0.0:${PORT:-8000}}"
TIMEOUT="${GUNICORN_TIMEOUT:-30}"

case "$FRONT" in
nginx) NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
  if [ ! -x "$NGINX" ]; then
    echo "start.sh: nginx is not installed: install it (apt-get install nginx)," \
      "or set KB_FRONT=none behind a load balancer that buffers requests." >&2
    exit 2
  fi ;;
none) ;;
*) echo "start.sh: KB_FRONT must be 'nginx' or 'none', not '$FRONT'." >&2
  exit 2 ;;
esac

HTTP_CACHE="${KB_HTTP_CACHE:-none}"
PURGE="${KB_HTTP_CACHE_PURGE:-}"
case "$HTTP_CACHE" in
varnish) VARNISHD="${VARNISHD:-$(command -v varnishd || echo /usr/sbin/varnishd)}"
  if [ "$FRONT" != nginx ]; then
    echo "start.sh: KB_HTTP_CACHE=varnish runs behind the nginx front (KB_FRONT=nginx)." >&2
    exit 2
  fi
  if [ ! -x "$VARNISHD" ]; then
    echo "start.sh: varnish is not installed: install it (apt-get install varnish)," \
      "or set KB_HTTP_CACHE=none." >&2
    exit 2
  fi
  VARNISH_LISTEN="127.0.0.1:${KB_VARNISH_PORT:-6081}"
  PURGE="${PURGE:-http://$VARNISH_LISTEN}" ;;
none) ;;
*) echo "start.sh: KB_HTTP_CACHE must be 'varnish' or 'none', not '$HTTP_CACHE'." >&2
  exit 2 ;;
esac

"$PYTHON" manage.py check --deploy --fail-level ERROR
"$PYTHON" manage.py migrate_locked --noinput --wait-for-database "${KB_DATABASE_WAIT:-30}"
"$PYTHON" manage.py collectstatic --noinput --verbosity 0

set -- kb.wsgi:application --workers "${WEB_CONCURRENCY:-2}" --timeout "$TIMEOUT"
if [ "$FRONT" = none ]; then
  exec "$PYTHON" -m gunicorn "$@" --bind "$BIND" --access-logfile - \
    --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}"
fi

# --- nginx in front --------------------------------------------------------
RUN_DIR="$(mktemp -d "${TMPDIR:-/tmp}/kb-front.XXXXXX")"  # mode 0700: ours alone
trap 'rm -rf "$RUN_DIR"' EXIT
SOCKET="$RUN_DIR/gunicorn.sock"
USER_LINE=""
if [ "$(id -u)" = 0 ]; then
  # Started as root, nginx's workers drop to nobody: let them (only) reach the socket.
  group="$(id -gn nobody)"
  chgrp "$group" "$RUN_DIR" && chmod 0710 "$RUN_DIR"
  USER_LINE="user nobody $group;"
fi

# Django's own limit (kb/settings.py, KB_MAX_REQUEST_BYTES) is nginx's too.
MAX_BODY="$("$PYTHON" -c 'import kb.settings as s; print(s.KB_MAX_REQUEST_BYTES)')"
MAX_BODY_TEXT="$(awk -v b="$MAX_BODY" 'BEGIN { printf "%.1f MB", b / 1000000 }')"
# Two descriptors per proxied request; stay within what the process may open.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
files="$(ulimit -n)"
case "$files" in unlimited) files=65536 ;; esac
CONNECTIONS=$((files - 64 < 4096 ? files - 64 : 4096))

: >"$RUN_DIR/real_ip.conf"
for proxy in $(echo "${KB_TRUSTED_PROXIES:-}" | tr ',' ' '); do
  echo "set_real_ip_from $proxy;" >>"$RUN_DIR/real_ip.conf"
done
if [ -s "$RUN_DIR/real_ip.conf" ]; then
  printf 'real_ip_header X-Forwarded-For;\nreal_ip_recursive on;\n' >>"$RUN_DIR/real_ip.conf"
fi

UPSTREAM="unix:$SOCKET"
if [ "$HTTP_CACHE" = varnish ]; then
  UPSTREAM="$VARNISH_LISTEN"
  sed -e "s|@GUNICORN_SOCKET@|$SOCKET|g" -e "s|@FIRST_BYTE_TIMEOUT@|$((TIMEOUT + 5))|g" \
    deploy/varnish.vcl >"$RUN_DIR/varnish.vcl"
  "$VARNISHD" -C -j none -n "$RUN_DIR/varnish" -f "$RUN_DIR/varnish.vcl" >/dev/null
fi
sed -e "s|@RUN_DIR@|$RUN_DIR|g" -e "s|@UPSTREAM@|$UPSTREAM|g" -e "s|@LISTEN@|$BIND|g" \
  -e "s|@USER@|$USER_LINE|g" -e "s|@WORKER_CONNECTIONS@|$CONNECTIONS|g" \
  -e "s|@MAX_BODY_BYTES@|$MAX_BODY|g" -e "s|@MAX_BODY_TEXT@|$MAX_BODY_TEXT|g" \
  -e "s|@PROXY_READ_TIMEOUT@|$((TIMEOUT + 5))|g" \
  deploy/nginx.conf >"$RUN_DIR/nginx.conf"
"$NGINX" -t -q -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e stderr

stopping=0
trap 'stopping=1' TERM INT  # from here on, a signal stops both processes below

# Only nginx reaches the socket and it overwrites X-Real-IP, so Django may trust it.
# (gunicorn 25.1+ also puts its control socket in XDG_RUNTIME_DIR: ours, not $HOME's.)
KB_CLIENT_ADDRESS_HEADER=X-Real-IP XDG_RUNTIME_DIR="$RUN_DIR" KB_HTTP_CACHE_PURGE="$PURGE" \
  "$PYTHON" -m gunicorn "$@" --bind "unix:$SOCKET" --access-logfile - \
  --access-logformat '%({x-real-ip}i)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"' &
GUNICORN_PID=$!
VARNISH_PID=$GUNICORN_PID  # watched below: gunicorn again when there is no varnish
if [ "$HTTP_CACHE" = varnish ]; then
  # -j none: varnish runs as this script's user, as nginx does. Its storage is bounded.
  "$VARNISHD" -F -j none -n "$RUN_DIR/varnish" -f "$RUN_DIR/varnish.vcl" \
    -a "$VARNISH_LISTEN" -s "malloc,${KB_VARNISH_MEMORY:-256m}" -p vsl_space=16m &
  VARNISH_PID=$!
fi
"$NGINX" -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e stderr &
NGINX_PID=$!

while [ "$stopping" = 0 ] && kill -0 "$GUNICORN_PID" 2>/dev/null \
  && kill -0 "$NGINX_PID" 2>/dev/null && kill -0 "$VARNISH_PID" 2>/dev/null; do
  sleep 1 &
  wait $! || true  # returns at once when a signal arrives
done
kill $! 2>/dev/null || true  # the last sleep
if [ "$stopping" = 0 ] && [ "$HTTP_CACHE" = varnish ]; then
  echo "start.sh: nginx, varnish or gunicorn exited; stopping the others." >&2
elif [ "$stopping" = 0 ]; then
  echo "start.sh: nginx or gunicorn exited; stopping the other." >&2
fi
kill -QUIT "$NGINX_PID" 2>/dev/null || true  # stop accepting, finish requests in flight
wait "$NGINX_PID" || true
if [ "$VARNISH_PID" != "$GUNICORN_PID" ]; then
  kill -TERM "$VARNISH_PID" 2>/dev/null || true
  wait "$VARNISH_PID" || true
fi
kill -TERM "$GUNICORN_PID" 2>/dev/null || true  # workers finish their request, then exit
wait "$GUNICORN_PID" || true
[ "$stopping" = 1 ]
