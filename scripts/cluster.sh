#!/usr/bin/env bash
# A local cluster with one command: the topology docker-compose.yml describes for
# real deployments, from the packages this project's own scripts install.
#
#   nginx (deploy/nginx_cluster.conf)  load balancer and buffering front, on KB_CLUSTER_PORT
#     -> N app servers (scripts/start.sh, KB_FRONT=none), on KB_CLUSTER_APP_PORT, +1, ...
#        -> PostgreSQL primary + streaming replica (scripts/postgres_pair.sh, DIR/pg)
#        -> Redis (cache, rate limits, lock-outs), private, DIR/redis
#        -> one media folder shared by every app server, DIR/media
#
#   cluster.sh start [DIR] [--demo] [--import PATH]
#       start whatever is not running (migrations once, before the apps), wait
#       until every app server and the balancer answer, print the addresses;
#       --demo loads the demo content, --import imports a MkDocs project
#   cluster.sh stop [DIR]        stop what start started (by pid files), keep the data
#   cluster.sh status [DIR]      what runs where; exit 0 only if everything runs
#   cluster.sh kill-app N [DIR]  SIGKILL app server N and its workers (a crash)
#   cluster.sh start-app N [DIR] start app server N again and wait until it answers
#   cluster.sh restart-postgres [DIR]  fast restart of the primary
#   cluster.sh restart-redis [DIR]     restart Redis (it keeps no data: it is a cache)
#   cluster.sh manage DIR ARGS...      manage.py ARGS with the app servers' settings
#   cluster.sh destroy [DIR]     stop everything and delete DIR
#
# DIR defaults to var/cluster in the checkout. Ports and the number of app servers come from
# KB_CLUSTER_PORT (8180), KB_CLUSTER_APP_PORT (8181), KB_CLUSTER_APPS (2),
# KB_CLUSTER_PG_PORT (55432), KB_CLUSTER_REPLICA_PORT (55433) and
# KB_CLUSTER_REDIS_PORT (56379); the first start saves them in DIR/cluster.conf,
# and later commands use the saved values. The app servers run production
# settings with a SECRET_KEY generated into DIR/secret_key; any other setting
# (WEB_CONCURRENCY, KB_SIGN_IN_RATE, ...) is taken from the environment of the
# start or start-app command.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

die() {
  echo "cluster.sh: $*" >&2
  exit 1
}

usage() {
  sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[ $# -ge 1 ] || usage
COMMAND="$1"
shift
APP_NUMBER=""
case "$COMMAND" in
kill-app | start-app)
  [ $# -ge 1 ] || usage
  APP_NUMBER="$1"
  shift
  ;;
esac
DIR="$ROOT/var/cluster"
if [ $# -ge 1 ] && [ "${1#--}" = "$1" ]; then
  DIR="$1"
  shift
fi
case "$DIR" in
/*) ;;
*) DIR="$(pwd)/$DIR" ;;
esac

# --- Configuration: environment at the first start, then DIR/cluster.conf -------
CONF="$DIR/cluster.conf"
if [ "$COMMAND" = start ]; then
  if [ -f "$CONF" ]; then
    saved="$(cat "$CONF")"
  else
    saved=""
  fi
  setting() { # NAME DEFAULT: the environment's value, else the saved one, else DEFAULT
    local value="${!1:-}"
    [ -n "$value" ] || value="$(printf '%s\n' "$saved" | sed -n "s/^$1=//p")"
    printf '%s' "${value:-$2}"
  }
  PORT="$(setting KB_CLUSTER_PORT 8180)"
  APP_PORT="$(setting KB_CLUSTER_APP_PORT 8181)"
  APPS="$(setting KB_CLUSTER_APPS 2)"
  PG_PORT="$(setting KB_CLUSTER_PG_PORT 55432)"
  REPLICA_PORT="$(setting KB_CLUSTER_REPLICA_PORT 55433)"
  REDIS_PORT="$(setting KB_CLUSTER_REDIS_PORT 56379)"
  for value in "$PORT" "$APP_PORT" "$APPS" "$PG_PORT" "$REPLICA_PORT" "$REDIS_PORT"; do
    case "$value" in '' | *[!0-9]*) die "ports and KB_CLUSTER_APPS must be numbers, not '$value'" ;; esac
  done
  [ "$APPS" -ge 1 ] || die "KB_CLUSTER_APPS must be at least 1"
  mkdir -p "$DIR"
  # The PostgreSQL servers run as the postgres user: it must reach DIR/pg.
  [ "$(id -u)" != 0 ] || chmod 0711 "$DIR"
  cat >"$CONF" <<EOF
KB_CLUSTER_PORT=$PORT
KB_CLUSTER_APP_PORT=$APP_PORT
KB_CLUSTER_APPS=$APPS
KB_CLUSTER_PG_PORT=$PG_PORT
KB_CLUSTER_REPLICA_PORT=$REPLICA_PORT
KB_CLUSTER_REDIS_PORT=$REDIS_PORT
EOF
else
  [ -f "$CONF" ] || die "no cluster in $DIR (run: scripts/cluster.sh start $DIR)"
  value_of() { sed -n "s/^$1=//p" "$CONF"; }
  PORT="$(value_of KB_CLUSTER_PORT)"
  APP_PORT="$(value_of KB_CLUSTER_APP_PORT)"
  APPS="$(value_of KB_CLUSTER_APPS)"
  PG_PORT="$(value_of KB_CLUSTER_PG_PORT)"
  REPLICA_PORT="$(value_of KB_CLUSTER_REPLICA_PORT)"
  REDIS_PORT="$(value_of KB_CLUSTER_REDIS_PORT)"
fi

PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
REDIS_SERVER="${REDIS_SERVER:-$(command -v redis-server || echo /usr/bin/redis-server)}"
PG_DIR="$DIR/pg"
RUN="$DIR/run"   # pid files
LOGS="$DIR/logs"
APP_ENV="$DIR/app.env"
DATABASE="kb"

# --- Helpers ----------------------------------------------------------------------
alive() { # PIDFILE: the process it names is running
  [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

app_port() { echo $((APP_PORT + $1 - 1)); }

http_status() { # URL: the HTTP status, or 000 when nothing answers
  "$PYTHON" -c 'import sys, urllib.error, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=3).status)
except urllib.error.HTTPError as error:
    print(error.code)' "$1" 2>/dev/null || echo 000
}

wait_ready() { # NAME BASE_URL [PIDFILE]: until /readyz (or /healthz where there is none) says 200
  local name="$1" base="$2" pidfile="${3:-}" i status path=/readyz
  for i in $(seq 1 240); do
    status="$(http_status "$base$path")"
    if [ "$status" = 404 ] && [ "$path" = /readyz ]; then
      path=/healthz
      continue
    fi
    [ "$status" = 200 ] && return 0
    if [ -n "$pidfile" ] && ! alive "$pidfile"; then
      tail -n 30 "$LOGS/$name.log" >&2 || true
      die "$name exited while starting (see $LOGS/$name.log)"
    fi
    sleep 0.25
  done
  die "$name did not answer $path with 200 within 60 s (last status $status; see $LOGS/$name.log)"
}

stop_pidfile() { # PIDFILE SIGNAL [GROUP]: signal the process (or its group), wait up to 30 s
  local pidfile="$1" signal="$2" group="${3:-}" pid i
  alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  pid="$(cat "$pidfile")"
  if [ -n "$group" ]; then
    kill "-$signal" -- "-$pid" 2>/dev/null || true
  else
    kill "-$signal" "$pid" 2>/dev/null || true
  fi
  for i in $(seq 1 120); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "cluster.sh: $pidfile ($pid) still runs after 30 s: killing it" >&2
    if [ -n "$group" ]; then kill -KILL -- "-$pid" 2>/dev/null || true; else kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$pidfile"
}

manage() { # ARGS: manage.py with the app servers' settings
  (
    set -a
    # shellcheck disable=SC1090
    . "$APP_ENV"
    set +a
    cd "$ROOT"
    "$PYTHON" manage.py "$@"
  )
}

# --- Components -------------------------------------------------------------------
ensure_python() {
  if [ ! -x "$PYTHON" ]; then
    [ "$PYTHON" = "$ROOT/.venv/bin/python" ] || die "PYTHON=$PYTHON is not executable"
    echo "cluster.sh: no virtual environment yet: make install"
    make -C "$ROOT" install >&2
  fi
  [ -x "$NGINX" ] || die "nginx is not installed (apt-get install nginx)"
  [ -x "$REDIS_SERVER" ] || die "redis-server is not installed (apt-get install redis-server)"
}

write_app_env() {
  local secret="$DIR/secret_key"
  if [ ! -s "$secret" ]; then
    (umask 077 && "$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$secret")
  fi
  # REDIS_URL and CACHE_URL both: CACHE_URL wins in kb/settings.py, so a value inherited
  # from the caller's environment must not point the apps at another Redis.
  cat >"$APP_ENV" <<EOF
KB_ENV=production
SECRET_KEY=$(cat "$secret")
ALLOWED_HOSTS=127.0.0.1,localhost
SECURE_SSL_REDIRECT=0
DATA_DIR=$DIR
MEDIA_ROOT=$DIR/media
DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/$DATABASE
DATABASE_REPLICA_URL=postgres://postgres@127.0.0.1:$REPLICA_PORT/$DATABASE
REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
CACHE_URL=redis://127.0.0.1:$REDIS_PORT/0
KB_CLIENT_ADDRESS_HEADER=X-Real-IP
FORWARDED_ALLOW_IPS=127.0.0.1
KB_SITE_URL=http://127.0.0.1:$PORT
EOF
  chmod 600 "$APP_ENV"
}

start_postgres() {
  "$ROOT/scripts/postgres_pair.sh" start "$PG_DIR" "$PG_PORT" "$REPLICA_PORT" "$DATABASE" >/dev/null
}

start_redis() {
  alive "$RUN/redis.pid" && return 0
  mkdir -p "$DIR/redis"
  # A cache: nothing saved to disk, bounded, least recently used keys evicted first.
  "$REDIS_SERVER" --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DIR/redis" \
    --daemonize yes --pidfile "$RUN/redis.pid" --logfile "$LOGS/redis.log" \
    --save "" --appendonly no --maxmemory 256mb --maxmemory-policy allkeys-lru
  local i
  for i in $(seq 1 100); do
    [ -s "$RUN/redis.pid" ] && [ "$(redis_ping)" = PONG ] && return 0
    sleep 0.1
  done
  die "redis did not start (see $LOGS/redis.log)"
}

redis_ping() {
  if command -v redis-cli >/dev/null; then
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null || true
  else
    "$PYTHON" -c "import redis,sys; print('PONG' if redis.Redis(port=int(sys.argv[1])).ping() else '')" "$REDIS_PORT" 2>/dev/null || true
  fi
}

migrate() {
  # Once, before any app server starts (each start.sh then finds nothing to do).
  if [ -f "$ROOT/topics/management/commands/migrate_locked.py" ]; then
    manage migrate_locked --noinput >>"$LOGS/migrate.log" 2>&1 || { tail -n 30 "$LOGS/migrate.log" >&2; die "migrate_locked failed"; }
  else
    manage migrate --noinput >>"$LOGS/migrate.log" 2>&1 || { tail -n 30 "$LOGS/migrate.log" >&2; die "migrate failed"; }
  fi
}

launch_app() { # N: start app server N in its own process group (no wait)
  local n="$1" port
  port="$(app_port "$n")"
  alive "$RUN/app-$n.pid" && return 0
  # start.sh (KB_FRONT=none) execs gunicorn: the pid is gunicorn's master and its group.
  # Each app server has its own static files (start.sh collects them: never two
  # collectstatic runs on one manifest) and its own gunicorn control socket.
  mkdir -p "$DIR/app-$n"
  (
    set -a
    # shellcheck disable=SC1090
    . "$APP_ENV"
    set +a
    cd "$ROOT"
    export KB_FRONT=none BIND="127.0.0.1:$port" PYTHON STATIC_ROOT="$DIR/app-$n/static" \
      XDG_RUNTIME_DIR="$DIR/app-$n"
    exec setsid sh scripts/start.sh
  ) >>"$LOGS/app-$n.log" 2>&1 </dev/null &
  echo $! >"$RUN/app-$n.pid"
}

start_app() { # N
  launch_app "$1"
  wait_ready "app-$1" "http://127.0.0.1:$(app_port "$1")" "$RUN/app-$1.pid"
}

start_nginx() {
  alive "$RUN/nginx.pid" && return 0
  local conf="$DIR/nginx" user_line="" servers="" n max_body
  mkdir -p "$conf"
  if [ "$(id -u)" = 0 ]; then
    # Started as root, the workers drop to nobody: they need their temporary folders.
    user_line="user nobody $(id -gn nobody);"
    for sub in client_body proxy fastcgi uwsgi scgi; do
      mkdir -p "$conf/$sub" && chown nobody "$conf/$sub"
    done
  fi
  for n in $(seq 1 "$APPS"); do
    servers="$servers        server 127.0.0.1:$(app_port "$n") max_fails=2 fail_timeout=5s;\\n"
  done
  max_body="$(cd "$ROOT" && "$PYTHON" -c 'import kb.settings as s; print(s.KB_MAX_REQUEST_BYTES)')"
  sed -e "s|@RUN_DIR@|$conf|g" -e "s|@PID_FILE@|$RUN/nginx.pid|g" \
    -e "s|@ERROR_LOG@|$LOGS/nginx.log|g" -e "s|@ACCESS_LOG@|$LOGS/nginx_access.log|g" \
    -e "s|@LISTEN@|127.0.0.1:$PORT|g" -e "s|@USER@|$user_line|g" \
    -e "s|@WORKER_CONNECTIONS@|1024|g" -e "s|@MAX_BODY_BYTES@|$max_body|g" \
    -e "s|@MAX_BODY_TEXT@|$(awk -v b="$max_body" 'BEGIN { printf "%.1f MB", b / 1000000 }')|g" \
    -e "s|@PROXY_READ_TIMEOUT@|$((${GUNICORN_TIMEOUT:-30} + 5))|g" -e "s|@APPS@|$APPS|g" \
    -e "s|@MAX_FAILS@|2|g" -e "s|@FAIL_TIMEOUT@|5 s|g" -e "s|^@SERVERS@\$|$servers|" \
    "$ROOT/deploy/nginx_cluster.conf" >"$conf/nginx.conf"
  "$NGINX" -t -q -p "$conf" -c "$conf/nginx.conf" -e "$LOGS/nginx.log"
  "$NGINX" -p "$conf" -c "$conf/nginx.conf" -e "$LOGS/nginx.log"
}

print_addresses() {
  local n
  echo "balancer  http://127.0.0.1:$PORT/"
  for n in $(seq 1 "$APPS"); do
    echo "app $n     http://127.0.0.1:$(app_port "$n")/"
  done
  echo "primary   postgres://postgres@127.0.0.1:$PG_PORT/$DATABASE"
  echo "replica   postgres://postgres@127.0.0.1:$REPLICA_PORT/$DATABASE"
  echo "redis     redis://127.0.0.1:$REDIS_PORT/0"
  echo "media     $DIR/media"
  echo "logs      $LOGS"
}

# --- Commands -----------------------------------------------------------------------
cmd_start() {
  local demo=0 corpus="" n
  while [ $# -gt 0 ]; do
    case "$1" in
    --demo) demo=1 ;;
    --import)
      [ $# -ge 2 ] || die "--import needs a MkDocs project folder"
      corpus="$(cd "$2" && pwd)"
      shift
      ;;
    *) die "unknown option '$1'" ;;
    esac
    shift
  done
  ensure_python
  mkdir -p "$RUN" "$LOGS" "$DIR/media"
  write_app_env
  start_postgres
  start_redis
  migrate
  [ "$demo" = 0 ] || manage load_demo >>"$LOGS/migrate.log" 2>&1 || die "load_demo failed (see $LOGS/migrate.log)"
  [ -z "$corpus" ] || manage import_mkdocs "$corpus" >>"$LOGS/migrate.log" 2>&1 ||
    die "import_mkdocs failed (see $LOGS/migrate.log)"
  for n in $(seq 1 "$APPS"); do
    launch_app "$n"
  done
  for n in $(seq 1 "$APPS"); do
    wait_ready "app-$n" "http://127.0.0.1:$(app_port "$n")" "$RUN/app-$n.pid"
  done
  start_nginx
  wait_ready nginx "http://127.0.0.1:$PORT"
  print_addresses
}

cmd_stop() {
  local n
  stop_pidfile "$RUN/nginx.pid" QUIT
  for n in $(seq 1 "$APPS"); do
    stop_pidfile "$RUN/app-$n.pid" TERM group
  done
  stop_pidfile "$RUN/redis.pid" TERM
  [ ! -d "$PG_DIR" ] || "$ROOT/scripts/postgres_pair.sh" stop "$PG_DIR"
}

cmd_status() {
  local ok=0 n port
  if alive "$RUN/nginx.pid"; then
    echo "balancer  running  http://127.0.0.1:$PORT/ (/healthz $(http_status "http://127.0.0.1:$PORT/healthz"))"
  else
    echo "balancer  stopped"
    ok=1
  fi
  for n in $(seq 1 "$APPS"); do
    port="$(app_port "$n")"
    if alive "$RUN/app-$n.pid"; then
      echo "app $n     running  http://127.0.0.1:$port/ (/healthz $(http_status "http://127.0.0.1:$port/healthz"))"
    else
      echo "app $n     stopped"
      ok=1
    fi
  done
  if alive "$RUN/redis.pid"; then
    echo "redis     running  redis://127.0.0.1:$REDIS_PORT/0"
  else
    echo "redis     stopped"
    ok=1
  fi
  [ -d "$PG_DIR" ] && "$ROOT/scripts/postgres_pair.sh" status "$PG_DIR" | sed 's/^/postgres  /' || ok=1
  return $ok
}

check_app_number() {
  case "$APP_NUMBER" in '' | *[!0-9]*) die "app server numbers go from 1 to $APPS" ;; esac
  [ "$APP_NUMBER" -ge 1 ] && [ "$APP_NUMBER" -le "$APPS" ] || die "app server numbers go from 1 to $APPS"
}

case "$COMMAND" in
start) cmd_start "$@" ;;
stop) cmd_stop ;;
status) cmd_status ;;
kill-app)
  check_app_number
  alive "$RUN/app-$APP_NUMBER.pid" || die "app server $APP_NUMBER is not running"
  kill -KILL -- "-$(cat "$RUN/app-$APP_NUMBER.pid")"
  rm -f "$RUN/app-$APP_NUMBER.pid"
  ;;
start-app)
  check_app_number
  start_app "$APP_NUMBER"
  ;;
restart-postgres) "$ROOT/scripts/postgres_pair.sh" restart-primary "$PG_DIR" ;;
restart-redis)
  stop_pidfile "$RUN/redis.pid" TERM
  start_redis
  ;;
manage) manage "$@" ;;
destroy)
  cmd_stop
  [ ! -d "$PG_DIR" ] || "$ROOT/scripts/postgres_pair.sh" destroy "$PG_DIR"
  rm -rf "$DIR"
  ;;
*) usage ;;
esac
